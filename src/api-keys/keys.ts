/**
 * API keys (docs/api-keys.md): `lk_` + 32 random bytes in base64url. Only their SHA-256 is stored.
 * A slow password hash (bcrypt, scrypt, argon2) exists to make guessing a low-entropy secret
 * expensive; a key of 256 random bits cannot be guessed however fast the hash, and a fast,
 * deterministic hash lets each request find its key through a unique index. Keys are checked
 * against the database on every request, never cached: a revoked key is refused at once on every
 * replica.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Database, Queryable } from '../db/database.js';
import type { Principal } from '../http/auth.js';
import { Errors } from '../http/errors.js';
import { findApiKeyByHash, insertApiKey, touchApiKey, type ApiKeyRow } from './repository.js';

export const KEY_PREFIX = 'lk_';
const KEY_BYTES = 32;
/** what `prefix` shows of a key: `lk_` and 8 characters (48 of its 256 bits) */
const SHOWN = KEY_PREFIX.length + 8;
const KEY_FORMAT = /^lk_[A-Za-z0-9_-]{43}$/;
/** `last_used_at` is written at most this often */
const TOUCH_EVERY_MS = 60_000;

export const isApiKey = (bearer: string): boolean => bearer.startsWith(KEY_PREFIX);

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export interface ApiKeyInput {
  name: string;
  scopes: string[];
  brandIds: string[];
  expiresAt: Date | null;
  createdBy: string;
}

/** Makes a key: the row (with its hash) and the key itself, which exists nowhere else. */
export async function createApiKey(
  q: Queryable,
  input: ApiKeyInput,
): Promise<{ row: ApiKeyRow; key: string }> {
  const key = KEY_PREFIX + randomBytes(KEY_BYTES).toString('base64url');
  const row = await insertApiKey(q, {
    id: randomUUID(),
    name: input.name,
    prefix: key.slice(0, SHOWN),
    keyHash: hashApiKey(key),
    scopes: input.scopes,
    brandIds: input.brandIds,
    createdBy: input.createdBy,
    expiresAt: input.expiresAt,
  });
  return { row, key };
}

/** The principal of an `lk_…` bearer: `key:<id>` with the key's scopes and brands; else 401. */
export function createApiKeyVerifier(database: Database): (key: string) => Promise<Principal> {
  return async (key) => {
    const row = KEY_FORMAT.test(key) ? await findApiKeyByHash(database.db, hashApiKey(key)) : null;
    if (!row) throw Errors.unauthenticated('The API key is not valid.');
    if (row.revokedAt !== null) throw Errors.unauthenticated('The API key has been revoked.');
    const now = Date.now();
    if (row.expiresAt !== null && row.expiresAt.getTime() <= now) {
      throw Errors.unauthenticated('The API key has expired.');
    }
    if (row.lastUsedAt === null || now - row.lastUsedAt.getTime() >= TOUCH_EVERY_MS) {
      await touchApiKey(database.db, row.id);
    }
    return {
      sub: `key:${row.id}`,
      scopes: new Set(row.scopes),
      brandIds: row.brandIds,
      persona: null,
      expiresAt: row.expiresAt,
    };
  };
}

/** Bearer verification for every route: `lk_…` is an API key, anything else a JWT. */
export function withApiKeys(
  database: Database,
  verifyJwt: (token: string) => Promise<Principal>,
): (bearer: string) => Promise<Principal> {
  const verifyKey = createApiKeyVerifier(database);
  return (bearer) => (isApiKey(bearer) ? verifyKey(bearer) : verifyJwt(bearer));
}
