/**
 * The codes the FHIR Bundles use are real codes: every UCUM code of labline's unit table passes
 * NLM's UCUM validator, every unit the Junction simulator reports has its UCUM code, and every
 * LOINC code (the simulator's markers, the codes labline writes itself) has a valid LOINC check
 * digit (LOINC's mod-10 rule).
 */
import ucum from '@lhncbc/ucum-lhc';
import { describe, expect, it } from 'vitest';
import { CODING, INTERPRETATION } from '../../src/fhir/codes.js';
import { ucumCode, UCUM_TABLE } from '../../src/fhir/ucum.js';
import { SIMULATOR_LAB_TESTS } from '../../src/junction/simulator/index.js';

/** LOINC's check digit rule (the LOINC Users' Guide, "Calculating Mod 10 check digits"). */
function loincCheckDigitHolds(code: string): boolean {
  const match = /^(\d{1,7})-(\d)$/.exec(code);
  if (!match) return false;
  let sum = 0;
  [...match[1]!].reverse().forEach((d, i) => {
    const n = Number(d) * (i % 2 === 0 ? 2 : 1);
    sum += n > 9 ? n - 9 : n;
  });
  return (10 - (sum % 10)) % 10 === Number(match[2]);
}

const markers = SIMULATOR_LAB_TESTS.flatMap((t) => t.markers);

describe('LOINC codes', () => {
  it('the check digit rule accepts known codes and refuses a wrong digit', () => {
    for (const code of ['718-7', '2345-7', '3016-3', '11502-2'])
      expect(loincCheckDigitHolds(code)).toBe(true);
    for (const code of ['718-8', '3016-4', '38476-3', '3016']) expect(loincCheckDigitHolds(code)).toBe(false);
  });

  it("every LOINC code of the simulator's markers and of labline's own codings is well formed", () => {
    const codes = [...markers.map((m) => m.loinc), CODING.laboratoryReport.code];
    expect(codes.filter((c) => !loincCheckDigitHolds(c))).toEqual([]);
  });
});

describe('UCUM units', () => {
  const validator = ucum.UcumLhcUtils.getInstance();

  it("every code of labline's unit table is valid UCUM", () => {
    const invalid = UCUM_TABLE.filter(([, code]) => validator.validateUnitString(code).status !== 'valid');
    expect(invalid).toEqual([]);
  });

  it('what labs print where UCUM differs is not taken for UCUM (the validator refuses the printed form)', () => {
    for (const printed of ['mIU/L', 'IU/mL', 'x10E3/uL', 'mEq/L']) {
      expect(validator.validateUnitString(printed).status).not.toBe('valid');
      expect(validator.validateUnitString(ucumCode(printed)!).status).toBe('valid');
    }
  });

  it('every unit the simulator reports has its UCUM code', () => {
    expect(markers.filter((m) => ucumCode(m.unit) === null).map((m) => m.unit)).toEqual([]);
    expect(ucumCode('µg/dL')).toBe('ug/dL');
    expect(ucumCode('furlongs')).toBeNull();
  });
});

it('interpretations are the v3-ObservationInterpretation codes labline maps flags to', () => {
  expect(Object.keys(INTERPRETATION).sort()).toEqual(['A', 'AA', 'H', 'HH', 'L', 'LL', 'N']);
});
