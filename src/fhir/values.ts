/**
 * A lab value as FHIR holds it: numbers become Quantities with their UCUM unit, `<0.5` a Quantity
 * with a comparator, anything else a string; reference ranges become low/high; flags become
 * v3-ObservationInterpretation codes. Shared by the order's results and the visit's.
 */
import type { Observation, ObservationReferenceRange, Quantity } from 'fhir/r4.js';
import { CODING, INTERPRETATION, SYSTEM, type InterpretationCode } from './codes.js';
import { ucumCode } from './ucum.js';

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const COMPARED = /^(<=|>=|<|>)\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))$/;
const BETWEEN = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*[-\u2013]\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))$/;

/** A finite number written as a plain decimal, or null. */
function decimal(text: string): number | null {
  if (!NUMBER.test(text)) return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

/** A Quantity of `value` in the printed `unit`, with its UCUM code when the unit is known. */
export function quantity(value: number, unit: string | null, comparator?: Quantity['comparator']): Quantity {
  const printed = unit?.trim() || null;
  const code = printed === null ? null : ucumCode(printed);
  return {
    value,
    ...(comparator ? { comparator } : {}),
    ...(printed !== null ? { unit: printed } : {}),
    ...(code !== null ? { system: SYSTEM.ucum, code } : {}),
  };
}

export type ObservationValue = Pick<Observation, 'valueQuantity' | 'valueString' | 'dataAbsentReason'>;

/**
 * The Observation's value: a number (or a numeric text) is a Quantity, `<0.5` or `>=10` a Quantity
 * with its comparator, other text a string, nothing at all a data-absent reason. `asText` keeps
 * a result the lab sent as a comment or a coded value as text even when it looks like a number.
 */
export function observationValue(
  value: number | string,
  unit: string | null,
  asText = false,
): ObservationValue {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? { valueQuantity: quantity(value, unit) } : absent();
  }
  const text = value.trim();
  if (text === '') return absent();
  if (!asText) {
    const n = decimal(text);
    if (n !== null) return { valueQuantity: quantity(n, unit) };
    const compared = COMPARED.exec(text);
    const bound = compared ? decimal(compared[2]!) : null;
    if (compared && bound !== null) {
      return { valueQuantity: quantity(bound, unit, compared[1] as Quantity['comparator']) };
    }
  }
  return { valueString: text };
}

function absent(): ObservationValue {
  return { dataAbsentReason: { coding: [CODING.absentUnknown] } };
}

/** The numeric bounds a printed reference range states: `0.45-4.5`, `<34`, `>=60`. */
export function parseRange(text: string): { low: number | null; high: number | null } {
  const t = text.trim();
  const between = BETWEEN.exec(t);
  if (between) {
    const low = decimal(between[1]!);
    const high = decimal(between[2]!);
    if (low !== null && high !== null && low <= high) return { low, high };
  }
  const compared = COMPARED.exec(t);
  const bound = compared ? decimal(compared[2]!) : null;
  if (compared && bound !== null) {
    return compared[1]!.startsWith('<') ? { low: null, high: bound } : { low: bound, high: null };
  }
  return { low: null, high: null };
}

/** A referenceRange from numeric bounds and/or the printed text; null when there is neither. */
export function referenceRange(
  low: number | null,
  high: number | null,
  text: string | null,
  unit: string | null,
): ObservationReferenceRange | null {
  const printed = text?.trim() || null;
  const lowQ = low !== null && Number.isFinite(low) ? quantity(low, unit) : null;
  const highQ = high !== null && Number.isFinite(high) ? quantity(high, unit) : null;
  if (lowQ === null && highQ === null && printed === null) return null;
  return {
    ...(lowQ ? { low: lowQ } : {}),
    ...(highQ ? { high: highQ } : {}),
    ...(printed !== null ? { text: printed } : {}),
  };
}

export type Direction = 'above' | 'below' | null;

/** Where a numeric value lies against its range: above the high bound, below the low one, or neither. */
export function directionOf(value: number | string, low: number | null, high: number | null): Direction {
  const n = typeof value === 'number' ? value : decimal(value.trim());
  if (n === null) {
    // `<0.5` against a low bound of 1 is below it; `>100` against a high bound of 50 is above.
    const compared = typeof value === 'string' ? COMPARED.exec(value.trim()) : null;
    const bound = compared ? decimal(compared[2]!) : null;
    if (compared && bound !== null) {
      if (compared[1]!.startsWith('<') && low !== null && bound <= low) return 'below';
      if (compared[1]!.startsWith('>') && high !== null && bound >= high) return 'above';
    }
    return null;
  }
  if (high !== null && n > high) return 'above';
  if (low !== null && n < low) return 'below';
  return null;
}

/**
 * A lab's flag as a v3-ObservationInterpretation code: `normal` N, `low` L, `high` H, `abnormal`
 * H or L when the value says which way (A otherwise), `critical` HH or LL likewise (AA otherwise).
 * Anything else (`unknown`, none): no interpretation.
 */
export function interpretationCode(flag: string | null, direction: Direction): InterpretationCode | null {
  switch (flag) {
    case 'normal':
      return 'N';
    case 'low':
      return 'L';
    case 'high':
      return 'H';
    case 'abnormal':
      return direction === 'above' ? 'H' : direction === 'below' ? 'L' : 'A';
    case 'critical':
      return direction === 'above' ? 'HH' : direction === 'below' ? 'LL' : 'AA';
    default:
      return null;
  }
}

export function interpretation(code: InterpretationCode): NonNullable<Observation['interpretation']> {
  return [
    {
      coding: [{ system: SYSTEM.interpretation, code, display: INTERPRETATION[code] }],
      text: INTERPRETATION[code],
    },
  ];
}

/** An instant as FHIR writes it (ISO 8601 in UTC), or null for text that is not a time. */
export function instant(value: string | Date | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const date = typeof value === 'string' ? new Date(value) : value;
  const year = date.getUTCFullYear();
  // FHIR's instants are years 0001-9999 (toISOString writes others as +010000-…).
  return Number.isNaN(year) || year < 1 || year > 9999 ? null : date.toISOString();
}
