/**
 * A `timestamp with time zone` column for an instant a client chose (a visit's date, a coupon's
 * expiry), read back exactly for every year the API accepts (0001–9999, src/http/instants.ts).
 * Drizzle's own `timestamp` column reads PostgreSQL's text (`0001-01-01 00:00:00+00`) with
 * `new Date(text)`, and JavaScript's lenient parser takes a year below 100 for 19xx or 20xx: year
 * 0001 came back as 2001. Columns the service sets itself (created_at, …) hold the present and
 * keep drizzle's column.
 */
import { customType } from 'drizzle-orm/pg-core';

/** PostgreSQL's ISO DateStyle output; the offset has seconds in zones with local mean time. */
const PG_TIMESTAMPTZ =
  /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?$/;

/** The instant a `timestamptz` value's text names (years 1 AD on; no `infinity`). */
export function parseTimestamptz(text: string): Date {
  const m = PG_TIMESTAMPTZ.exec(text);
  if (!m) throw new Error('parseTimestamptz: not a timestamptz text of a year AD');
  const [, year, month, day, hour, minute, second, fraction = '', sign, oh, om = '0', os = '0'] = m;
  const local = new Date(0);
  local.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  local.setUTCHours(
    Number(hour),
    Number(minute),
    Number(second),
    Number(fraction.padEnd(3, '0').slice(0, 3)),
  );
  const offsetSeconds = (sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om) * 60 + Number(os));
  return new Date(local.getTime() - offsetSeconds * 1000);
}

export const instantColumn = customType<{ data: Date; driverData: string | Date }>({
  dataType: () => 'timestamp with time zone',
  toDriver: (value) => value.toISOString(),
  fromDriver: (value) => (value instanceof Date ? value : parseTimestamptz(value)),
});
