import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import {
  inline,
  mergeValues,
  migrateDatabase,
  openDatabase,
  rows,
  templateRows,
  type Database,
  type Part,
} from '../../src/db/database.js';
import { isUniqueViolation, pgCode } from '../../src/db/errors.js';
import { auditEvents } from '../../src/db/tables.js';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../helpers/database.js';
import { onPostgres } from '../helpers/skip.js';

describe('database layer', () => {
  let testDb: TestDatabase;
  let database: Database;
  let config: ReturnType<typeof loadConfig>;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    config = loadConfig({ DATABASE_URL: testDb.url, DB_STATEMENT_TIMEOUT_MS: '500' });
    database = await openDatabase(config.database);
  });
  afterAll(async () => {
    await database.close();
    await testDb.drop();
  });

  it('applies the migrations, and applying them again (even concurrently) changes nothing', async () => {
    const others = usingPostgres
      ? [await openDatabase(config.database), await openDatabase(config.database)]
      : [];
    await Promise.all([database, ...others].map((d) => migrateDatabase(config.database, d)));
    await Promise.all(others.map((d) => d.close()));
    await migrateDatabase(config.database, database);
    const tables = await rows<{ table_name: string }>(
      database.db,
      sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining(['audit_events', 'idempotency_keys', 'lab_orders']),
    );
    const applied = await rows<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
    );
    expect(applied[0]!.n).toBeGreaterThan(0);
  });

  it('builds a template statement once per shape and sends each call its own values', async () => {
    let builds = 0;
    const part = (a: number, b: string): Part => ({
      values: { a, b },
      sql: (slot) => {
        builds++;
        return sql`select ${slot('a')}::int + 1 as n, ${slot('b')}::text as b`;
      },
    });
    const shape = `test:${Math.random()}`;
    expect(await templateRows(database.db, shape, part(1, 'x'))).toEqual([{ n: 2, b: 'x' }]);
    expect(await templateRows(database.db, shape, part(41, 'y'))).toEqual([{ n: 42, b: 'y' }]);
    expect(builds).toBe(1);
    expect(await rows(database.db, inline(part(2, 'z')))).toEqual([{ n: 3, b: 'z' }]);
    // A value the SQL names but the part lacks is a bug in the part: refused, never sent as null.
    const missing: Part = {
      values: { a: 1 },
      sql: (slot) => sql`select ${slot('a')}::int, ${slot('c')}::int`,
    };
    await expect(templateRows(database.db, `test:${Math.random()}`, missing)).rejects.toThrow(
      /no value named "c"/,
    );
    expect(() => inline(missing)).toThrow(/no value named "c"/);
  });

  it("merges parts' values into one statement, and refuses a name two parts give differently", async () => {
    const key = { key_principal: 'p', key: 'k' };
    const values = mergeValues(key, undefined, { ...key, claim_at: 'now' }, { order_id: 'o' });
    expect(values).toEqual({ key_principal: 'p', key: 'k', claim_at: 'now', order_id: 'o' });
    const both: Part = {
      values,
      sql: (slot) => sql`select ${slot('key')}::text as key, ${slot('order_id')}::text as order_id`,
    };
    expect(await rows(database.db, inline(both))).toEqual([{ key: 'k', order_id: 'o' }]);
    // Two parts that both call a value `order_id` would otherwise send one part's value to the other's SQL.
    expect(() => mergeValues({ order_id: 'o' }, { order_id: 'p' })).toThrow(
      /value named "order_id" twice, differently/,
    );
  });

  it('rolls a transaction back when its callback throws', async () => {
    await expect(
      database.transaction(async (tx) => {
        await tx
          .insert(auditEvents)
          .values({ actor: 'a', action: 'x', resourceType: 't', resourceId: 'rollback-me' });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const found = await rows(database.db, sql`select 1 from audit_events where resource_id = 'rollback-me'`);
    expect(found).toHaveLength(0);
  });

  it('reports PostgreSQL error codes through the driver wrapper', async () => {
    const err = await database.db.execute(sql`select 1/0`).catch((e: unknown) => e);
    expect(pgCode(err)).toBe('22012');
    await database.db.execute(sql`create table if not exists uniq_probe (k int primary key)`);
    await database.db.execute(sql`insert into uniq_probe values (1)`);
    const dup = await database.db.execute(sql`insert into uniq_probe values (1)`).catch((e: unknown) => e);
    expect(isUniqueViolation(dup)).toBe(true);
  });

  // PGlite runs queries on one thread with no timer to interrupt them: the timeout is a server feature.
  onPostgres.it('cancels a statement that runs past statement_timeout', async () => {
    const err = await database.db.execute(sql`select pg_sleep(2)`).catch((e: unknown) => e);
    expect(pgCode(err)).toBe('57014');
  });
});
