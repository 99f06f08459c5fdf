/**
 * The growth scenario's data, written with `insert … select generate_series` (never through the
 * API). The listed patient and client get `perKey` rows in the small set and none later, so the
 * lists return the same page at 1 thousand and at 1 million rows: what changes is only how much
 * else the tables hold.
 */
import type { BenchDatabase } from './database.js';

/** Client ids the loader makes: 'c' + 23 hex digits, valid lowercase ObjectIds. */
const clientId = (sqlNumber: string) => `'c' || lpad(to_hex(${sqlNumber}), 23, '0')`;
/** Other patients: ~20 orders each, like the listed one. */
const OTHER_PATIENTS = 50_000;
const CLIENTS = 50_000;

/** Empties the tables the lists read (the earlier scenarios filled them). */
export async function resetGrowthTables(db: BenchDatabase): Promise<void> {
  await db.exec('truncate lab_order_events, lab_orders, lab_visits');
}

/** Clients of the workspace for the loaded visits; returns the id of the listed one. */
export async function seedGrowthClients(db: BenchDatabase, workspaceId: string): Promise<string> {
  await db.exec(`
    insert into workspace_clients (id, workspace_id, first_name, last_name, created_by)
    select ${clientId('g')}, '${workspaceId}', 'Client', 'Bench' || g, 'bench-loader'
    from generate_series(1, ${CLIENTS}) g
    on conflict do nothing`);
  const [row] = await db.query<{ id: string }>(`select ${clientId('1')} as id`);
  return row!.id;
}

export async function loadOrders(
  db: BenchDatabase,
  o: { from: number; to: number; patient: string | null; perKey: number; brand: string },
): Promise<void> {
  const patient = o.patient
    ? `case when g <= ${o.perKey} then '${o.patient}'::uuid else md5('p' || (g % ${OTHER_PATIENTS}))::uuid end`
    : `md5('p' || (g % ${OTHER_PATIENTS}))::uuid`;
  await db.exec(`
    insert into lab_orders (id, brand_id, patient_id, panel_id, lab_test_id, status, status_detail, status_at,
                            junction_order_id, junction_user_id, created_by, created_at, updated_at)
    select md5('o' || g)::uuid, '${o.brand}', ${patient}, 'hashimotos', 'bench-lab-test', 'received',
           'received.walk_in_test.ordered', ts, 'bench-junction-' || g, 'bench-user', 'bench-loader', ts, ts
    from generate_series(${o.from}, ${o.to}) g, lateral (select now() - g * interval '1 second' as ts) t`);
}

const SNAPSHOTS = JSON.stringify([
  { test: { testId: 9101, testTitle: 'Bench CBC' }, designTest: null },
  { test: { testId: 9205, testTitle: 'Bench CRP' }, designTest: null },
]);

export async function loadVisits(
  db: BenchDatabase,
  o: { from: number; to: number; workspaceId: string; perKey: number },
): Promise<void> {
  const client = `case when g <= ${o.perKey} then ${clientId('1')} else ${clientId(`2 + g % ${CLIENTS - 1}`)} end`;
  await db.exec(`
    insert into lab_visits (id, workspace_id, client_id, lab_visit_type, status, lab_test_ids, lab_test_snapshots,
                            lab_test_results, lab_visit_date, subtotal_cents, discount_cents, total_cents,
                            created_by, created_at, updated_at)
    select 'd' || lpad(to_hex(g), 23, '0'), '${o.workspaceId}', ${client}, 'in-lab', 'pending', '{9101,9205}',
           '${SNAPSHOTS}'::jsonb, '[]'::jsonb, now() - g * interval '1 minute', 5550, 555, 4995,
           'bench-loader', now(), now()
    from generate_series(${o.from}, ${o.to}) g`);
}
