/**
 * Keyset pagination for the workspace surface: `limit` (default 50, at most 200) and an opaque
 * `cursor` (src/http/cursor.ts: the last row's sort key, decoded strictly) that the previous page
 * returned as `nextCursor`. Keyset rather than offset, so pages stay stable and cheap while rows are added.
 */
import { Type } from 'typebox';
import { cursorCodec, type CursorCodec, type CursorField, type CursorKey } from './cursor.js';

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

/**
 * Splits `limit + 1` fetched rows into the page and the cursor of the next one (null when the
 * extra row did not exist, i.e. this is the last page).
 */
export function toPage<T, F extends readonly CursorField[]>(
  rows: T[],
  limit: number,
  codec: CursorCodec<F>,
  keyOf: (row: T) => CursorKey<F>,
): { items: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, limit);
  return { items, nextCursor: codec.encode(keyOf(items[items.length - 1] as T)) };
}

export interface PageParams {
  limit?: number;
  cursor?: string;
}

/**
 * One page of a keyset-ordered list: `fetch` gets the cursor's key (null on the first page) and
 * `limit + 1`; the extra row only tells whether a next page exists. `keyOf` gives a row's sort key.
 */
export async function fetchPage<T, F extends readonly CursorField[]>(
  query: PageParams,
  codec: CursorCodec<F>,
  fetch: (after: CursorKey<F> | null, limit: number) => Promise<T[]>,
  keyOf: (row: T) => CursorKey<F>,
): Promise<{ items: T[]; nextCursor: string | null }> {
  const limit = query.limit ?? DEFAULT_LIMIT;
  const after = query.cursor === undefined ? null : codec.decode(query.cursor);
  return toPage(await fetch(after, limit + 1), limit, codec, keyOf);
}

const BY_OBJECT_ID = cursorCodec('objectId');

/** A page of a list ordered by id. */
export function fetchPageById<T extends { id: string }>(
  query: PageParams,
  fetch: (afterId: string | null, limit: number) => Promise<T[]>,
): Promise<{ items: T[]; nextCursor: string | null }> {
  return fetchPage(
    query,
    BY_OBJECT_ID,
    (after, limit) => fetch(after?.[0] ?? null, limit),
    (row) => [row.id],
  );
}
