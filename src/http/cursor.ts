/**
 * Opaque keyset cursors: base64url JSON of the last row's sort key. A cursor comes back from the
 * client, so it is decoded strictly into exactly the types its query needs (a timestamp
 * PostgreSQL accepts, a UUID, an ObjectId, an event id, a 32-bit integer), else 400 `invalid_cursor`: a
 * forged cursor never reaches the database as a value it would refuse.
 */
import { Errors } from './errors.js';

export type CursorField = 'timestamp' | 'uuid' | 'objectId' | 'int32' | 'eventId';
type FieldValue<F extends CursorField> = F extends 'timestamp' ? Date : F extends 'int32' ? number : string;
export type CursorKey<F extends readonly CursorField[]> = { -readonly [I in keyof F]: FieldValue<F[I]> };

/** Canonical ISO instants between years 0001 and 9999, as Date.toISOString writes them. */
const ISO_INSTANT = /^(\d{4})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const OBJECT_ID = /^[0-9a-f]{24}$/;
const EVENT_ID = /^evt_[0-9a-f]{24}$/;

function decodeField(kind: CursorField, value: unknown): unknown {
  switch (kind) {
    case 'timestamp': {
      if (typeof value !== 'string') return undefined;
      const m = ISO_INSTANT.exec(value);
      if (!m || Number(m[1]) < 1) return undefined;
      const date = new Date(value);
      return !Number.isNaN(date.getTime()) && date.toISOString() === value ? date : undefined;
    }
    case 'uuid':
      return typeof value === 'string' && UUID.test(value) ? value : undefined;
    case 'objectId':
      return typeof value === 'string' && OBJECT_ID.test(value) ? value : undefined;
    case 'eventId':
      return typeof value === 'string' && EVENT_ID.test(value) ? value : undefined;
    case 'int32':
      return Number.isInteger(value) &&
        (value as number) >= -2_147_483_648 &&
        (value as number) <= 2_147_483_647
        ? value
        : undefined;
  }
}

export interface CursorCodec<F extends readonly CursorField[]> {
  encode(key: CursorKey<F>): string;
  /** The key a cursor carries; 400 `invalid_cursor` unless it is exactly one this service could issue. */
  decode(cursor: string): CursorKey<F>;
}

export function cursorCodec<const F extends readonly CursorField[]>(...fields: F): CursorCodec<F> {
  return {
    encode: (key) =>
      Buffer.from(
        JSON.stringify((key as unknown[]).map((v) => (v instanceof Date ? v.toISOString() : v))),
      ).toString('base64url'),
    decode(cursor) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
      } catch {
        throw Errors.invalidCursor();
      }
      if (!Array.isArray(parsed) || parsed.length !== fields.length) throw Errors.invalidCursor();
      return fields.map((kind, i) => {
        const value = decodeField(kind, parsed[i]);
        if (value === undefined) throw Errors.invalidCursor();
        return value;
      }) as CursorKey<F>;
    },
  };
}
