import { sql } from 'drizzle-orm';
import { check, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * API keys of machine clients (docs/api-keys.md). Only the SHA-256 of a key is kept; `prefix` (the
 * key's first characters) lets people tell their keys apart. Revoked keys stay, as a record.
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull(),
    prefix: text('prefix').notNull(),
    /** hex SHA-256 of the whole key */
    keyHash: text('key_hash').notNull().unique('api_keys_key_hash_key'),
    scopes: text('scopes').array().notNull(),
    brandIds: text('brand_ids').array().notNull(),
    /** the principal that made it (`cli` for the operator's bootstrap) */
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date', precision: 3 })
      .notNull()
      .defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date', precision: 3 }),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date', precision: 3 }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true, mode: 'date', precision: 3 }),
  },
  (t) => [
    index('api_keys_created_idx').on(t.createdAt, t.id),
    check('api_keys_brands_check', sql`cardinality(${t.brandIds}) > 0`),
  ],
);
