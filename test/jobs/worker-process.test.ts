/**
 * `npm run worker` (`cli.ts worker`): the job queue's workers without the API, as its own process.
 * It needs PostgreSQL (the embedded database belongs to one process); on a server it runs the
 * service's jobs and stops on SIGTERM.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { migrateDatabase, openDatabase, rows } from '../../src/db/database.js';
import { startSimulator } from '../../src/junction/simulator/index.js';
import { junctionEnv, SIM_KEY, TEST_JWT_SECRET } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/database.js';
import { spawnTs } from '../helpers/process.js';
import { onPostgres } from '../helpers/skip.js';

describe('npm run worker', () => {
  it('refuses the embedded database, saying why', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'labline-worker-'));
    try {
      const p = spawnTs('src/cli.ts', ['worker'], { DATA_DIR: dataDir });
      expect(await p.exited).toBe(1);
      expect(p.output()).toContain('`worker` needs PostgreSQL');
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  onPostgres.it('runs the service’s jobs on PostgreSQL and stops on SIGTERM', async () => {
    const testDb = await createTestDatabase();
    const sim = await startSimulator({ apiKey: SIM_KEY });
    const env = {
      ...junctionEnv(sim),
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      DATABASE_URL: testDb.url,
      JOB_POLL_INTERVAL_MS: '100',
      LOG_LEVEL: 'info',
    };
    const config = loadConfig(env);
    const database = await openDatabase(config.database);
    const p = spawnTs('src/cli.ts', ['worker'], env);
    try {
      await p.waitFor(/labline worker running/, 90_000);
      await migrateDatabase(config.database, database);
      // An expired Idempotency-Key, and its purge made due now.
      await database.db.execute(sql`
        insert into idempotency_keys (principal, route, key, fingerprint, state, created_at, expires_at)
        values ('p', 'POST /v1/lab-orders', 'k', 'f', 'completed', now() - interval '2 days', now() - interval '1 day')`);
      await database.db.execute(sql`update jobs set run_at = now() where queue = 'idempotency.purge'`);
      const end = Date.now() + 20_000;
      while ((await rows(database.db, sql`select 1 from idempotency_keys`)).length > 0) {
        if (Date.now() > end) throw new Error(`the worker did not purge; output:\n${p.output()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      expect(p.output()).toContain('shutdown complete');
    } finally {
      p.child.kill('SIGKILL');
      await database.close();
      await sim.close();
      await testDb.drop();
    }
  });
});
