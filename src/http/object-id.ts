/**
 * MongoDB-style ObjectIds: 4-byte seconds timestamp, 5 random bytes fixed per process, 3-byte
 * counter. The ids the contract shows are ObjectIds, and their time prefix keeps id order close to
 * creation order, which keeps the id-keyed indexes append-mostly.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { Errors } from './errors.js';

const PROCESS_UNIQUE = randomBytes(5);
let counter = randomInt(0, 0x1000000);

export function newObjectId(nowMs: number = Date.now()): string {
  const buf = Buffer.alloc(12);
  buf.writeUInt32BE(Math.floor(nowMs / 1000) >>> 0, 0);
  PROCESS_UNIQUE.copy(buf, 4);
  counter = (counter + 1) % 0x1000000;
  buf.writeUIntBE(counter, 9, 3);
  return buf.toString('hex');
}

const OBJECT_ID = /^[0-9a-fA-F]{24}$/;

export function isObjectId(value: string): boolean {
  return OBJECT_ID.test(value);
}

/**
 * The id in its stored (lowercase) form, or 422 `invalid_id`. Schemas accept any string for ids
 * so that a malformed id is a 422 (docs/workspace-lab-visits.md), not a 400 from schema validation.
 */
export function parseObjectId(value: string, field: string): string {
  if (!OBJECT_ID.test(value)) {
    throw Errors.invalidId(field);
  }
  return value.toLowerCase();
}
