/**
 * Units as labs print them → their UCUM codes. Labs print `mIU/L` where UCUM writes `m[IU]/L`,
 * `x10E3/uL` where it writes `10*3/uL`: a FHIR Quantity carries the printed unit as `unit` and the
 * UCUM code as `code`. A unit not in this table keeps its printed `unit` without a code (a FHIR
 * server must not be handed a guess). Every code here is checked with NLM's UCUM validator
 * (test/fhir/codes.test.ts), and every unit the Junction simulator reports is in the table.
 */
const UCUM: Readonly<Record<string, string>> = {
  // mass concentration
  'g/dL': 'g/dL',
  'g/L': 'g/L',
  'mg/dL': 'mg/dL',
  'mg/L': 'mg/L',
  'ug/dL': 'ug/dL',
  'ug/L': 'ug/L',
  'ug/mL': 'ug/mL',
  'ng/dL': 'ng/dL',
  'ng/mL': 'ng/mL',
  'ng/L': 'ng/L',
  'pg/mL': 'pg/mL',
  // substance concentration
  'mol/L': 'mol/L',
  'mmol/L': 'mmol/L',
  'umol/L': 'umol/L',
  'nmol/L': 'nmol/L',
  'pmol/L': 'pmol/L',
  'mEq/L': 'meq/L',
  'meq/L': 'meq/L',
  // arbitrary (international) units
  'IU/L': '[IU]/L',
  'IU/mL': '[IU]/mL',
  'mIU/L': 'm[IU]/L',
  'mIU/mL': 'm[IU]/mL',
  'uIU/mL': 'u[IU]/mL',
  'U/L': 'U/L',
  'U/mL': 'U/mL',
  // counts
  'x10E3/uL': '10*3/uL',
  '10^3/uL': '10*3/uL',
  'K/uL': '10*3/uL',
  'x10E6/uL': '10*6/uL',
  '10^6/uL': '10*6/uL',
  'M/uL': '10*6/uL',
  'cells/uL': '{cells}/uL',
  '/uL': '/uL',
  // other
  '%': '%',
  fL: 'fL',
  pg: 'pg',
  'mm/h': 'mm/h',
  'mm/hr': 'mm/h',
  'mL/min/1.73m2': 'mL/min/{1.73_m2}',
  'mg/g': 'mg/g',
  ratio: '{ratio}',
};

/** The UCUM code of a printed unit, or null when the table does not know it. */
export function ucumCode(printed: string): string | null {
  // The micro sign (µ, U+00B5) and Greek mu (μ, U+03BC) are UCUM's `u`.
  const unit = printed.trim().replace(/[\u00b5\u03bc]/g, 'u');
  return UCUM[unit] ?? null;
}

/** Every (printed unit, UCUM code) pair of the table, for the tests that check them. */
export const UCUM_TABLE: readonly (readonly [string, string])[] = Object.entries(UCUM);
