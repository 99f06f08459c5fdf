import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { migrateDatabase, openDatabase, rows, type Database } from '../../src/db/database.js';
import { defineStatement, runStatement } from '../../src/db/statements.js';
import { isUniqueViolation, pgCode } from '../../src/db/errors.js';
import { auditEvents } from '../../src/db/tables.js';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../helpers/database.js';
import { onPostgres } from '../helpers/skip.js';

describe('database layer', () => {
  let testDb: TestDatabase;
  let database: Database;
  let config: ReturnType<typeof loadConfig>;

  beforeAll(async () => {
    testDb = await createTestDatabase({ migrated: false });
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

  it('runs a fixed statement by its numbered parameters, on the root handle and in a transaction', async () => {
    const add = defineStatement<{ a: number; b: string }, { n: number; b: string }>(
      'test_add',
      { a: 1, b: 2 },
      (at) => `select ${at.a}::int + 1 as n, ${at.b}::text as b, ${at.a}::int as again`,
    );
    expect(add.text).toBe('select $1::int + 1 as n, $2::text as b, $1::int as again');
    expect(await runStatement(database, add, { a: 1, b: 'x' })).toEqual([{ n: 2, b: 'x', again: 1 }]);
    expect(await runStatement(database, add, { a: 41, b: 'y' })).toEqual([{ n: 42, b: 'y', again: 41 }]);
    const inTx = await database.transaction((tx) => runStatement(tx, add, { a: 2, b: 'z' }));
    expect(inTx).toEqual([{ n: 3, b: 'z', again: 2 }]);
    // A failure names the statement (what a log line may say of it), never its values.
    const err = await runStatement(database, add, { a: 'x' as unknown as number, b: 'y' }).catch(
      (e: unknown) => e,
    );
    expect((err as { statement?: string }).statement).toBe('test_add');
  });

  it('refuses a statement whose parameters are not numbered 1 to n, or one it never uses', () => {
    expect(() =>
      defineStatement<{ a: number; b: number }, never>(
        'gap',
        { a: 1, b: 3 },
        (at) => `select ${at.a}, ${at.b}`,
      ),
    ).toThrow(/numbered 1 to 2/);
    expect(() =>
      defineStatement<{ a: number; b: number }, never>('unused', { a: 1, b: 2 }, (at) => `select ${at.a}`),
    ).toThrow(/\$2 is unused/);
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
