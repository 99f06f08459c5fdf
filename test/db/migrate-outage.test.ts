/**
 * A database cut while start-up applies migrations stops start-up with the migration's error
 * (labline then exits with its message), never an uncaught 'error' event from the migration's own
 * connection: found by a ten-minute chaos run (docs/reliability.md), where a replica restarting
 * during a cut crashed that way.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { migrateDatabase, openDatabase } from '../../src/db/database.js';
import { createTestDatabase, openMigratedDatabase, type TestDatabase } from '../helpers/database.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { onPostgres } from '../helpers/skip.js';

onPostgres.describe('migrations through a database cut', () => {
  let testDb: TestDatabase;
  let proxy: TcpProxy;

  beforeAll(async () => {
    testDb = await createTestDatabase({ migrated: false });
    await (await openMigratedDatabase(testDb)).close();
    const url = new URL(testDb.url);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
  });
  afterAll(async () => {
    await proxy?.close();
    await testDb?.drop();
  });

  it('reject, and nothing is thrown from the connection itself', async () => {
    // Holds the migrator's own table, so that the migration waits mid-way on its connection.
    const holder = new pg.Client({ connectionString: testDb.url });
    await holder.connect();
    await holder.query('begin');
    await holder.query('lock table drizzle.__drizzle_migrations in access exclusive mode');
    const config = loadConfig({ DATABASE_URL: proxy.via(testDb.url) });
    const database = await openDatabase(config.database);
    try {
      const migrating = migrateDatabase(config.database, database).then(
        () => 'applied',
        () => 'rejected',
      );
      for (let waiting = 0; waiting === 0;) {
        await new Promise((r) => setTimeout(r, 50));
        const { rows } = await holder.query<{ n: number }>(
          "select count(*)::int as n from pg_locks where locktype = 'relation' and not granted",
        );
        waiting = rows[0]!.n;
      }
      await proxy.cut();
      expect(await migrating).toBe('rejected');
      // An 'error' event nobody listened to would surface as an uncaught exception of this file.
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      await holder.query('rollback');
      await holder.end();
      await proxy.restore();
      await database.close();
    }
  });
});
