/**
 * Keyset pagination for the workspace surface: `limit` (default 50, at most 200) and an opaque
 * `cursor` (base64url JSON of the last row's sort key) that the previous page returned as
 * `nextCursor`. Keyset rather than offset, so pages stay stable and cheap while rows are added.
 */
import { Type } from 'typebox';
import { Errors } from '../http/errors.js';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;

export const PageQuery = {
  limit: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: MAX_LIMIT,
      default: DEFAULT_LIMIT,
      description: 'Page size (default 50, at most 200)',
    }),
  ),
  cursor: Type.Optional(
    Type.String({ minLength: 1, maxLength: 512, description: 'The `nextCursor` of the previous page' }),
  ),
};

export const NextCursor = Type.Union([Type.String(), Type.Null()], {
  description: 'Pass as `cursor` for the next page; null on the last page',
});

export type CursorKey = readonly (string | number)[];

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** The key a cursor carries, when it has the shape `isKey` expects; otherwise 400. */
export function decodeCursor<K extends CursorKey>(cursor: string, isKey: (value: unknown) => value is K): K {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!isKey(value)) {
    throw Errors.validation('Invalid querystring: cursor is not one this service returned.', [
      { path: 'querystring:/cursor', message: 'is not a valid cursor' },
    ]);
  }
  return value;
}

/** A cursor holding one id (lists ordered by id). */
export function isIdKey(value: unknown): value is readonly [string] {
  return (
    Array.isArray(value) &&
    value.length === 1 &&
    typeof value[0] === 'string' &&
    /^[0-9a-f]{24}$/.test(value[0])
  );
}

/**
 * Splits `limit + 1` fetched rows into the page and the cursor of the next one (null when the
 * extra row did not exist, i.e. this is the last page).
 */
export function toPage<T>(
  rows: T[],
  limit: number,
  keyOf: (row: T) => CursorKey,
): { items: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, limit);
  return { items, nextCursor: encodeCursor(keyOf(items[items.length - 1] as T)) };
}

export interface PageParams {
  limit?: number;
  cursor?: string;
}

/**
 * One page of a keyset-ordered list: `fetch` gets the cursor's key (null on the first page) and
 * `limit + 1`; the extra row only tells whether a next page exists. `keyOf` gives a row's sort key.
 */
export async function fetchPage<T, K extends CursorKey>(
  query: PageParams,
  isKey: (value: unknown) => value is K,
  fetch: (after: K | null, limit: number) => Promise<T[]>,
  keyOf: (row: T) => CursorKey,
): Promise<{ items: T[]; nextCursor: string | null }> {
  const limit = query.limit ?? DEFAULT_LIMIT;
  const after = query.cursor === undefined ? null : decodeCursor(query.cursor, isKey);
  return toPage(await fetch(after, limit + 1), limit, keyOf);
}

/** A page of a list ordered by id. */
export function fetchPageById<T extends { id: string }>(
  query: PageParams,
  fetch: (afterId: string | null, limit: number) => Promise<T[]>,
): Promise<{ items: T[]; nextCursor: string | null }> {
  return fetchPage(
    query,
    isIdKey,
    (after, limit) => fetch(after?.[0] ?? null, limit),
    (row) => [row.id],
  );
}
