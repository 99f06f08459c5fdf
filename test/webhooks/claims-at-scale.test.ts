/**
 * One endpoint's backlog does not slow the others: with thousands of deliveries pending for an
 * endpoint whose receiver is down (most of them due, a few being sent), a claim for another
 * endpoint, a claim for the backlogged one and the sweep each read a handful of rows, not the
 * backlog, and still lease what they should. Rows read are counted from EXPLAIN ANALYZE on the
 * same database, with the statements the service sends.
 */
import { sql, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, type Database } from '../../src/db/database.js';
import { claimDue, claimStatement, DUE_ENDPOINTS } from '../../src/webhooks/deliveries-repository.js';
import { createTestDatabase, openMigratedDatabase, type TestDatabase } from '../helpers/database.js';

const BACKLOG = 5_000;
const IN_FLIGHT = 4;

interface PlanNode {
  'Relation Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

/** Rows of webhook_deliveries the statement's scans read (returned or filtered out), over all loops. */
function rowsRead(n: PlanNode): number {
  const own =
    n['Relation Name'] === 'webhook_deliveries'
      ? ((n['Actual Rows'] ?? 0) +
          (n['Rows Removed by Filter'] ?? 0) +
          (n['Rows Removed by Index Recheck'] ?? 0)) *
        (n['Actual Loops'] ?? 1)
      : 0;
  return own + (n.Plans ?? []).reduce((sum, p) => sum + rowsRead(p), 0);
}

describe('webhook claims with one endpoint backlogged', () => {
  let testDb: TestDatabase;
  let database: Database;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    database = await openMigratedDatabase(testDb);
    await database.db.execute(sql`
      insert into webhook_endpoints (id, brand_id, url, events, secret)
      values ('we_down', 'brand-a', 'https://a.example/hook', '{*}', 'whsec_a'),
             ('we_fine', 'brand-b', 'https://b.example/hook', '{*}', 'whsec_b')`);
    // The receiver of we_down is down: most of its deliveries are due, a few are being sent, some
    // wait for a retry later; we_fine has one delivery due.
    await database.db.execute(sql`
      insert into webhook_deliveries (id, endpoint_id, event_id, event_type, trigger, status, next_attempt_at, locked_until)
      select gen_random_uuid(), 'we_down', 'evt_' || g, 'lab_order.created', 'event', 'pending',
             now() - interval '1 hour' + g * interval '1 millisecond' + case when g % 5 = 0 then interval '2 hours' else interval '0' end,
             case when g <= ${IN_FLIGHT} then now() + interval '1 minute' end
      from generate_series(1, ${BACKLOG}) g`);
    await database.db.execute(sql`
      insert into webhook_deliveries (id, endpoint_id, event_id, event_type, trigger, status, next_attempt_at)
      values (gen_random_uuid(), 'we_fine', 'evt_fine', 'lab_order.created', 'event', 'pending', now())`);
    await database.db.execute(sql`analyze webhook_deliveries`);
  });
  afterAll(async () => {
    await database.close();
    await testDb.drop();
  });

  /** Runs `statement` under EXPLAIN ANALYZE in a transaction rolled back after, and counts its rows read. */
  async function read(statement: SQL): Promise<number> {
    let plan: PlanNode | undefined;
    await database
      .transaction(async (tx) => {
        const [row] = await rows<{ 'QUERY PLAN': unknown }>(
          tx,
          sql`explain (analyze, format json) ${statement}`,
        );
        const doc = row!['QUERY PLAN'];
        plan = (typeof doc === 'string' ? JSON.parse(doc) : doc)[0].Plan;
        throw new Error('roll back');
      })
      .catch((err: Error) => {
        if (err.message !== 'roll back') throw err;
      });
    return rowsRead(plan!);
  }

  it("a claim for another endpoint and the sweep read a few rows, not the backlog's", async () => {
    expect(await read(claimStatement('we_fine', 16, 30_000))).toBeLessThan(20);
    expect(await read(DUE_ENDPOINTS)).toBeLessThan(20);
    const due = await rows<{ endpoint_id: string }>(database.db, DUE_ENDPOINTS);
    expect(due.map((r) => r.endpoint_id).sort()).toEqual(['we_down', 'we_fine']);
  });

  it('a claim for the backlogged endpoint reads what it leases and what is in flight', async () => {
    // 16 at most in flight, 4 already: 12 leased, the earliest due; about 40 rows read of 5,000.
    expect(await read(claimStatement('we_down', 16, 30_000))).toBeLessThan(100);
    const leased = await claimDue(database, 'we_down', 16, 30_000);
    expect(leased).toHaveLength(16 - IN_FLIGHT);
    // The earliest due that are not in flight (a batch is sent all at once: its order is not kept).
    const earliest = Array.from({ length: 40 }, (_, i) => i + 1)
      .filter((g) => g > IN_FLIGHT && g % 5 !== 0)
      .slice(0, 16 - IN_FLIGHT)
      .map((g) => `evt_${g}`);
    expect(leased.map((d) => d.eventId).sort()).toEqual(earliest.sort());
    expect(await claimDue(database, 'we_down', 16, 30_000)).toEqual([]);
    expect((await claimDue(database, 'we_fine', 16, 30_000)).map((d) => d.eventId)).toEqual(['evt_fine']);
  });
});
