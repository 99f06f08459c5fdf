/**
 * The worker process (`cli.ts worker`, no HTTP) outlives a database outage: found by the chaos
 * suite (docs/reliability.md), where a cut of every PostgreSQL connection made the worker exit
 * with code 0 and nothing ran jobs again. Its timers are unref'd and its only sockets were the
 * database's, so Node had nothing left to wait for.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SIMULATOR_PANELS } from '../../src/junction/simulator/catalog.js';
import { createTestDatabase, openMigratedDatabase, type TestDatabase } from '../helpers/database.js';
import { spawnTs, type Spawned } from '../helpers/process.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { onPostgres } from '../helpers/skip.js';

onPostgres.describe('the worker process through a database outage', () => {
  let testDb: TestDatabase;
  let proxy: TcpProxy;
  let worker: Spawned;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    await (await openMigratedDatabase(testDb)).close();
    const url = new URL(testDb.url);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    worker = spawnTs('src/cli.ts', ['worker'], {
      DEMO: '0',
      DATABASE_URL: proxy.via(testDb.url),
      AUTH_JWT_SECRET: randomBytes(32).toString('hex'),
      JUNCTION_API_KEY: 'sk_test',
      JUNCTION_BASE_URL: 'http://127.0.0.1:9',
      JUNCTION_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
      JUNCTION_PANELS: Object.entries(SIMULATOR_PANELS)
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
      JOB_POLL_INTERVAL_MS: '200',
    });
    await worker.waitFor(/labline worker running/, 90_000);
  }, 120_000);

  afterAll(async () => {
    worker?.child.kill('SIGKILL');
    await proxy?.close();
    await testDb?.drop();
  });

  it('keeps running, and runs jobs again once the database is back', async () => {
    await proxy.cut();
    await new Promise((r) => setTimeout(r, 1500));
    await proxy.restore();
    const restored = new Date();
    // The sweep is a periodic job of every second: it runs again once the worker reconnects.
    const client = new pg.Client({ connectionString: testDb.url });
    await client.connect();
    try {
      let swept = false;
      for (let i = 0; i < 100 && !swept; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const { rows } = await client.query<{ at: Date | null }>(
          "select max(updated_at) as at from jobs where queue = 'webhooks.sweep'",
        );
        swept = rows[0]!.at !== null && rows[0]!.at > restored;
      }
      expect(worker.child.exitCode, worker.output()).toBeNull();
      expect(swept, worker.output()).toBe(true);
    } finally {
      await client.end();
    }
  }, 60_000);
});
