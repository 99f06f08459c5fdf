/**
 * One Junction user per brand's patient (docs/junction.md): two brands that send the same patient
 * id are two people, so they never share a Junction user, and a Junction order made under one
 * brand's user never attaches to the other brand's order. Migration 0016 keeps the users cached
 * before, each for one brand.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { migrateDatabase, openDatabase, rows } from '../../src/db/database.js';
import { junctionClientUserId } from '../../src/lab-orders/junction-users.js';
import { cachedJunctionUser } from '../../src/lab-orders/orders-repository.js';
import { createTestDatabase } from '../helpers/database.js';
import {
  BRAND,
  createOrder,
  orderBody,
  simUserOf,
  startLabStack,
  WRITE_SCOPES,
  type LabStack,
} from '../helpers/lab-stack.js';
import { clientFor, orderFor } from '../junction/helpers.js';

const OTHER_BRAND = 'brand-zenith';

describe('Junction users per brand', () => {
  let s: LabStack;
  let otherToken: string;
  beforeAll(async () => {
    s = await startLabStack();
    otherToken = await s.t.token({ sub: 'svc-zenith', scope: WRITE_SCOPES, brandIds: [OTHER_BRAND] });
  });
  afterAll(() => s.close());

  it('two brands ordering for the same patient id get two Junction users', async () => {
    const patientId = randomUUID();
    const a = await createOrder(s, orderBody({ patient_id: patientId }));
    const b = await createOrder(
      s,
      orderBody({ brand_id: OTHER_BRAND, patient_id: patientId }),
      undefined,
      otherToken,
    );
    expect(a.status, a.text).toBe(201);
    expect(b.status, b.text).toBe(201);

    const userA = simUserOf(s.sim, patientId, BRAND);
    const userB = simUserOf(s.sim, patientId, OTHER_BRAND);
    expect(userA).toBeDefined();
    expect(userB).toBeDefined();
    expect(userA!.user_id).not.toBe(userB!.user_id);
    expect(s.sim.order(a.body.junction_order_id)?.user_id).toBe(userA!.user_id);
    expect(s.sim.order(b.body.junction_order_id)?.user_id).toBe(userB!.user_id);
    // The patient id alone names nobody at Junction.
    expect(s.sim.users().some((u) => u.client_user_id === patientId)).toBe(false);

    const cached = await rows<{ brand_id: string; client_user_id: string; junction_user_id: string }>(
      s.t.database.db,
      sql`select brand_id, client_user_id, junction_user_id from junction_users where patient_id = ${patientId} order by brand_id`,
    );
    expect(cached).toEqual([
      {
        brand_id: BRAND,
        client_user_id: junctionClientUserId(BRAND, patientId),
        junction_user_id: userA!.user_id,
      },
      {
        brand_id: OTHER_BRAND,
        client_user_id: junctionClientUserId(OTHER_BRAND, patientId),
        junction_user_id: userB!.user_id,
      },
    ]);

    // Each brand's next order goes to its own user again.
    const again = await createOrder(s, { brand_id: BRAND, patient_id: patientId, panel_id: 'pcos' });
    expect(again.status, again.text).toBe(201);
    expect(s.sim.order(again.body.junction_order_id)?.user_id).toBe(userA!.user_id);
  });

  it('a Junction order of the other brand’s user never attaches to this brand’s order by passthrough', async () => {
    const patientId = randomUUID();
    // Brand B has a Junction user for this patient id.
    const b = await createOrder(
      s,
      orderBody({ brand_id: OTHER_BRAND, patient_id: patientId }),
      undefined,
      otherToken,
    );
    expect(b.status).toBe(201);
    const userB = simUserOf(s.sim, patientId, OTHER_BRAND)!.user_id;

    // Brand A's order for the same patient id is still waiting for Junction's answer.
    s.sim.setFaults({ errorRate: 1, errorStatuses: [500], operations: ['create_order'] });
    const pending = await createOrder(s, orderBody({ patient_id: patientId }));
    s.sim.setFaults({});
    expect(pending.status).toBe(502);
    const [local] = await rows<{ id: string }>(
      s.t.database.db,
      sql`select id from lab_orders where brand_id = ${BRAND} and patient_id = ${patientId}`,
    );

    // A Junction order under brand B's user names brand A's order as its passthrough.
    const forged = await clientFor(s.sim).createOrder(
      { ...orderFor(userB), passthrough: local!.id },
      randomUUID(),
    );
    s.sim.advance(forged.id, 'completed.walk_in_test.completed');
    await s.sim.webhooksSettled();

    const read = await s.t.request('GET', `/v1/lab-orders/${local!.id}`, { token: s.token });
    expect(read.body).toMatchObject({ status: 'submitting', junction_order_id: null });
    expect(s.t.logs.some((l) => l.includes('passthrough names a local order'))).toBe(true);
  });

  it('names a brand’s patient with a version-5 UUID of the brand and the patient', () => {
    const patientId = '8f14e45f-ceea-467f-a9d5-6b2f1c3e9a10';
    // Python: uuid.uuid5(uuid.UUID('a6d1d81c-e3f9-42e4-9cf1-12e50932ba6e'), 'brand-acme\n' + patientId)
    expect(junctionClientUserId('brand-acme', patientId)).toBe('46e84fa6-37df-5753-b518-7f2a17d4ea10');
    expect(junctionClientUserId('brand-acme', patientId.toUpperCase())).toBe(
      junctionClientUserId('brand-acme', patientId),
    );
    expect(junctionClientUserId('brand-acm', patientId)).not.toBe(
      junctionClientUserId('brand-acme', patientId),
    );
  });
});

describe('migration 0016: users cached before are kept, each for one brand', () => {
  const MIGRATIONS = path.resolve('drizzle');
  /** A migrations folder holding the migrations before `tag` only. */
  const migrationsBefore = (tag: string): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'labline-migrations-'));
    fs.cpSync(MIGRATIONS, dir, { recursive: true });
    const journalFile = path.join(dir, 'meta', '_journal.json');
    const journal = JSON.parse(fs.readFileSync(journalFile, 'utf8')) as { entries: { tag: string }[] };
    const at = journal.entries.findIndex((e) => e.tag === tag);
    expect(at).toBeGreaterThan(0);
    journal.entries = journal.entries.slice(0, at);
    fs.writeFileSync(journalFile, JSON.stringify(journal));
    return dir;
  };

  it('attributes each user to the brand whose order first used it, else to the only brand with the patient', async () => {
    const testDb = await createTestDatabase({ migrated: false });
    const config = loadConfig({ DATABASE_URL: testDb.url });
    const database = await openDatabase(config.database);
    const folder = migrationsBefore('0016_junction_users_per_brand');
    try {
      if (database.kind === 'pglite') {
        const { migrate } = await import('drizzle-orm/pglite/migrator');
        await migrate(database.db as never, { migrationsFolder: folder });
      } else {
        const { migrate } = await import('drizzle-orm/node-postgres/migrator');
        await migrate(database.db as never, { migrationsFolder: folder });
      }
      const env = 'https://api.sandbox.us.junction.com';
      const [ordered, shared, profiled, ambiguous, orphan] = [1, 2, 3, 4, 5].map(() => randomUUID());
      const order = (brand: string, patient: string, user: string, at: string) =>
        sql`insert into lab_orders (id, brand_id, patient_id, panel_id, lab_test_id, status, created_by, junction_user_id, created_at)
            values (${randomUUID()}, ${brand}, ${patient}, 'pcos', 'lt', 'received', 'svc', ${user}, ${at}::timestamptz)`;
      const profile = (brand: string, patient: string) =>
        sql`insert into patients (brand_id, patient_id) values (${brand}, ${patient})`;
      await database.db.execute(
        sql`insert into junction_users (junction_environment, client_user_id, junction_user_id) values
            (${env}, ${ordered}, 'user-ordered'), (${env}, ${shared!.toUpperCase()}, 'user-shared'),
            (${env}, ${profiled}, 'user-profiled'), (${env}, ${ambiguous}, 'user-ambiguous'),
            (${env}, ${orphan}, 'user-orphan')`,
      );
      await database.db.execute(order(BRAND, ordered!, 'user-ordered', '2025-01-01T00:00:00Z'));
      // Two brands ordered under one shared user: the first to use it keeps it.
      await database.db.execute(order(OTHER_BRAND, shared!, 'user-shared', '2025-01-02T00:00:00Z'));
      await database.db.execute(order(BRAND, shared!, 'user-shared', '2025-01-03T00:00:00Z'));
      await database.db.execute(profile(OTHER_BRAND, profiled!));
      await database.db.execute(profile(BRAND, ambiguous!));
      await database.db.execute(profile(OTHER_BRAND, ambiguous!));

      await migrateDatabase(config.database, database);

      const kept = await rows<{
        brand_id: string;
        patient_id: string;
        client_user_id: string;
        junction_user_id: string;
      }>(
        database.db,
        sql`select brand_id, patient_id, client_user_id, junction_user_id from junction_users order by junction_user_id`,
      );
      expect(kept).toEqual([
        { brand_id: BRAND, patient_id: ordered, client_user_id: ordered, junction_user_id: 'user-ordered' },
        {
          brand_id: OTHER_BRAND,
          patient_id: profiled,
          client_user_id: profiled,
          junction_user_id: 'user-profiled',
        },
        {
          brand_id: OTHER_BRAND,
          patient_id: shared,
          client_user_id: shared!.toUpperCase(),
          junction_user_id: 'user-shared',
        },
      ]);
      // The lookup the create makes finds them per brand; the other brand has none (it makes its own).
      expect(await cachedJunctionUser(database.db, env, OTHER_BRAND, shared!)).toBe('user-shared');
      expect(await cachedJunctionUser(database.db, env, BRAND, shared!)).toBeNull();
      expect(await cachedJunctionUser(database.db, env, BRAND, ordered!)).toBe('user-ordered');
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
      await database.close();
      await testDb.drop();
    }
  });
});
