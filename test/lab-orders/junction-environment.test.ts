/**
 * One database, more than one Junction over its life: demo's simulator, then the sandbox, then
 * production, or a sandbox that was reset. A patient's Junction user id belongs to the Junction
 * that made it; a known patient must keep ordering wherever the data goes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/database.js';
import { startSimulator } from '../../src/junction/simulator/index.js';
import type { TestAppOptions } from '../helpers/app.js';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../helpers/database.js';
import {
  BRAND,
  createOrder,
  orderBody,
  SIM_KEY,
  simUserOf,
  startLabStack,
  type LabStack,
} from '../helpers/lab-stack.js';

// Each test starts the service twice on data kept on disk (PGlite) or on a server.
describe('a database that outlives its Junction', { timeout: 90_000 }, () => {
  // The data every app of this file shares: a PostgreSQL database, or PGlite in a directory.
  let db: TestDatabase | null = null;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'labline-junction-env-'));
  const shared = async (): Promise<TestAppOptions> => {
    if (!usingPostgres) return { env: { DATABASE_URL: '', DATA_DIR: dataDir } };
    db ??= await createTestDatabase();
    return { databaseUrl: db.url };
  };
  afterAll(async () => {
    await db?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const junctionUserOf = (s: LabStack, patientId: string) => simUserOf(s.sim, patientId)?.user_id;
  const warnedUnknownUser = (s: LabStack) => s.t.logs.some((l) => l.includes('cached Junction user unknown'));
  /** An order that names only the patient: demographics and address come from the stored profile. */
  const knownPatientOrder = (patientId: string) => ({
    brand_id: BRAND,
    patient_id: patientId,
    panel_id: 'pcos',
  });

  it('a known patient orders at another Junction: a user is made there, the first one is not tried', async () => {
    const body = orderBody();
    const first = await startLabStack(await shared());
    let firstUser: string | undefined;
    try {
      expect((await createOrder(first, body)).status).toBe(201);
      firstUser = junctionUserOf(first, body.patient_id);
    } finally {
      await first.close();
    }

    const second = await startLabStack(await shared());
    try {
      const res = await createOrder(second, knownPatientOrder(body.patient_id));
      expect(res.status).toBe(201);
      const secondUser = junctionUserOf(second, body.patient_id);
      expect(secondUser).toBeDefined();
      expect(secondUser).not.toBe(firstUser);
      expect(second.sim.order(res.body.junction_order_id)?.user_id).toBe(secondUser);
      // Keyed by environment: the other Junction's id was never sent here.
      expect(warnedUnknownUser(second)).toBe(false);
      const cached = await rows<{ junction_environment: string; junction_user_id: string }>(
        second.t.database.db,
        sql`select junction_environment, junction_user_id from junction_users where patient_id = ${body.patient_id} order by created_at`,
      );
      expect(cached.map((r) => r.junction_user_id)).toEqual([firstUser, secondUser]);
      expect(new Set(cached.map((r) => r.junction_environment)).size).toBe(2);
    } finally {
      await second.close();
    }
  });

  it('a Junction that forgot a cached user (a sandbox reset): the user is ensured again once and the order placed', async () => {
    const body = orderBody();
    const before = await startSimulator({ apiKey: SIM_KEY });
    const port = Number(new URL(before.url).port);
    const first = await startLabStack({ ...(await shared()), sim: before });
    try {
      expect((await createOrder(first, body)).status).toBe(201);
    } finally {
      await first.close();
      await before.close();
    }

    // The same URL, an empty Junction.
    const after = await startSimulator({ apiKey: SIM_KEY, port });
    const second = await startLabStack({ ...(await shared()), sim: after });
    try {
      const res = await createOrder(second, knownPatientOrder(body.patient_id));
      expect(res.status).toBe(201);
      const user = junctionUserOf(second, body.patient_id);
      expect(second.sim.order(res.body.junction_order_id)?.user_id).toBe(user);
      expect(warnedUnknownUser(second)).toBe(true);

      // The cache now holds the new user: the next order goes straight through.
      const logsBefore = second.t.logs.length;
      expect((await createOrder(second, knownPatientOrder(body.patient_id))).status).toBe(201);
      expect(second.t.logs.slice(logsBefore).some((l) => l.includes('cached Junction user unknown'))).toBe(
        false,
      );
    } finally {
      await second.close();
      await after.close();
    }
  });
});
