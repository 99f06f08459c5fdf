/**
 * Instants as clients write them (RFC 3339 date-times with an offset), checked once for every
 * field: the `date-time` format of every schema (src/http/validation.ts) and the routes that turn
 * an accepted string into a Date both use `parseInstant`, so what the schema accepts is exactly
 * what the code can hold.
 */
import ajvFormats from 'ajv-formats';

// ajv-formats' validators of calendar dates and instants, through its public `get` (the module is
// CommonJS: the default import is the plugin function, which carries `get`), for this file and for
// the app's `date` formats (src/http/validation.ts).
type FullFormat = { validate: (s: string) => boolean };
const { get } = ajvFormats as unknown as { get: (name: 'date' | 'date-time', mode: 'full') => FullFormat };
export const fullFormats = { date: get('date', 'full'), 'date-time': get('date-time', 'full') };

const LEAP_SECOND = /^.{10}[Tt\s]\d{2}:\d{2}:60/;

/**
 * The instant `s` names, or null when it is not an RFC 3339 date-time with an offset, when it
 * falls outside years 0001–9999 once its offset is applied (`9999-12-31T23:59:59-01:00` is in
 * year 10000; PostgreSQL would keep it, but an ISO string of it is `+010000-…`, which no schema of
 * ours, no cursor and no client expects), or when it is a leap second (`…T23:59:60Z`): RFC 3339
 * allows one, but neither JavaScript's Date nor PostgreSQL holds it.
 */
export function parseInstant(s: string): Date | null {
  if (!fullFormats['date-time'].validate(s) || LEAP_SECOND.test(s)) return null;
  // The one form JavaScript's Date parses by the standard, not by its lenient fallback.
  const date = new Date(`${s.slice(0, 10)}T${s.slice(11).toUpperCase()}`);
  const year = date.getUTCFullYear();
  return Number.isNaN(year) || year < 1 || year > 9999 ? null : date;
}

/** A date-time a route's schema accepted (format `date-time`), as its Date. */
export function instantOf(s: string): Date {
  const date = parseInstant(s);
  if (!date) throw new Error('instantOf: a date-time the schema did not check');
  return date;
}
