/**
 * A page of a large list reads only its own rows: the statements the list routes send are planned
 * as an index scan in the list's order, without a sort of every matching row, and a cursor's page
 * starts the scan at the cursor. (A plain `order by created_at desc` is an order the tables'
 * `created_at DESC NULLS LAST` indexes cannot give: a brand's million orders were read and sorted
 * for every page, a quarter of a second each.) And a create's answer finds its order by id,
 * however many other orders are still submitting.
 *
 * The statements are taken as sent, from the app's own database handle, and explained on the same
 * database with their values.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/database.js';
import { BRAND, createOrder, orderBody, startLabStack, type LabStack } from '../helpers/lab-stack.js';

const ROWS = 5_000;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

describe('statements on large tables', () => {
  let s: LabStack;
  let reader: string;
  /** a token for every brand: its lists are of every brand's rows */
  let operator: string;
  /** the statements the app sent during `planOf`'s request */
  let sent: { text: string; params: unknown[] }[] | null = null;

  beforeAll(async () => {
    s = await startLabStack();
    reader = await s.t.token({ sub: 'svc-reader', scope: 'lab-orders:read', brandIds: [BRAND] });
    operator = await s.t.token({ sub: 'svc-operator', scope: 'lab-orders:read' });
    const db = s.t.database.db;
    await db.execute(sql`
      insert into lab_orders (id, brand_id, patient_id, panel_id, lab_test_id, status, status_detail, status_at,
                              junction_order_id, junction_user_id, created_by, created_at, updated_at)
      select md5('o' || g)::uuid, ${BRAND}, md5('p' || (g % 500))::uuid, 'hashimotos', 'plan-lab-test', 'received',
             'received.walk_in_test.ordered', ts, 'plan-junction-' || g, 'plan-user', 'plan-loader', ts, ts
      from generate_series(1, ${ROWS}) g, lateral (select now() - g * interval '1 second' as ts) t`);
    // The events: copies of a real order's event.
    expect((await createOrder(s, orderBody())).status).toBe(201);
    await db.execute(sql`
      insert into events (id, type, brand_id, created_at, data)
      select 'evt_' || lpad(to_hex(g), 24, '0'), e.type, e.brand_id, e.created_at - g * interval '1 second', e.data
      from generate_series(1, ${ROWS}) g, (select * from events where brand_id = ${BRAND} limit 1) e`);
    await db.execute(sql`analyze lab_orders`);
    await db.execute(sql`analyze events`);
    // drizzle hands every statement it sends to its session's logger.
    const session = (
      db as unknown as { session: { logger: { logQuery(text: string, params: unknown[]): void } } }
    ).session;
    session.logger = { logQuery: (text, params) => sent?.push({ text, params }) };
  });
  afterAll(() => s.close());

  /**
   * The plan of a statement the app sent, with its values as literals (untyped, as the parameters
   * are sent), so that EXPLAIN needs no binding.
   */
  const explain = async (text: string, params: unknown[]): Promise<PlanNode> => {
    const literal = (v: unknown) => {
      if (v === null) return 'null';
      if (typeof v === 'number') return String(v);
      const shown = v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : JSON.stringify(v);
      return `'${shown.replace(/'/g, "''")}'`;
    };
    const inlined = text.replace(/\$(\d+)\b/g, (_, n: string) => literal(params[Number(n) - 1]));
    const [row] = await rows<{ 'QUERY PLAN': [{ Plan: PlanNode }] | string }>(
      s.t.database.db,
      sql.raw(`explain (format json) ${inlined}`),
    );
    const plan = row!['QUERY PLAN'];
    return (typeof plan === 'string' ? (JSON.parse(plan) as [{ Plan: PlanNode }]) : plan)[0].Plan;
  };

  /** The plan of the statement on `table` that GET `path` sent, and the page's next cursor. */
  const planOf = async (
    path: string,
    table: string,
    token: string,
  ): Promise<{ plan: PlanNode; next: string }> => {
    sent = [];
    const res = await s.t.request('GET', path, { token });
    const statements = sent.filter((q) => q.text.startsWith('select') && q.text.includes(`from "${table}"`));
    sent = null;
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.length).toBeGreaterThan(0);
    expect(statements).toHaveLength(1);
    const { text, params } = statements[0]!;
    return { plan: await explain(text, params), next: res.body.next_cursor as string };
  };

  const expectOrderedScan = (plan: PlanNode, table: string, withCursor: boolean) => {
    const all = nodes(plan);
    expect(
      all.map((n) => n['Node Type']),
      JSON.stringify(plan),
    ).not.toContain('Sort');
    const scan = all.find((n) => n['Relation Name'] === table);
    expect(scan?.['Node Type'], JSON.stringify(plan)).toBe('Index Scan');
    if (withCursor) expect(scan?.['Index Cond'], JSON.stringify(plan)).toMatch(/ROW\(created_at, id\) </);
  };

  /** The first page and the next, for a brand's token and for a token of every brand. */
  const expectPagesFromIndex = async (path: string, table: string) => {
    for (const token of [reader, operator]) {
      const first = await planOf(`${path}?limit=20`, table, token);
      expectOrderedScan(first.plan, table, false);
      expectOrderedScan(
        (await planOf(`${path}?limit=20&cursor=${first.next}`, table, token)).plan,
        table,
        true,
      );
    }
  };

  it('lists orders, and their next page, from an index in order', () =>
    expectPagesFromIndex('/v1/lab-orders', 'lab_orders'));

  it('lists events, and their next page, from an index in order', () =>
    expectPagesFromIndex('/v1/events', 'events'));

  it('a create’s answer finds its order by id, however many orders are still submitting', async () => {
    const db = s.t.database.db;
    // Orders in flight that the statistics have not seen (they were analyzed before), as in a burst of creates.
    await db.execute(sql`
      insert into lab_orders (id, brand_id, patient_id, panel_id, lab_test_id, status, created_by, created_at, updated_at)
      select md5('s' || g)::uuid, ${BRAND}, md5('p' || (g % 500))::uuid, 'hashimotos', 'plan-lab-test', 'submitting',
             'plan-loader', now(), now()
      from generate_series(1, 500) g`);
    // The create's last statement (apply-junction-order.sql.ts) goes to the driver's client as a
    // named statement, past drizzle's logger: it is read there.
    const session = (db as unknown as { session: { client: { query: (...args: unknown[]) => unknown } } })
      .session;
    const send = session.client.query;
    const answers: { text: string; params: unknown[] }[] = [];
    session.client.query = function (this: unknown, ...args: unknown[]) {
      const [first, second] = args;
      const { text, values } =
        typeof first === 'string'
          ? { text: first, values: second }
          : (first as { text: string; values: unknown });
      if (text.startsWith('with upd as')) answers.push({ text, params: values as unknown[] });
      return send.apply(this, args);
    };
    try {
      expect((await createOrder(s, orderBody())).status).toBe(201);
    } finally {
      session.client.query = send;
    }
    expect(answers).toHaveLength(1);
    const plan = await explain(answers[0]!.text, answers[0]!.params);
    const scan = nodes(plan).find(
      (n) => n['Relation Name'] === 'lab_orders' && n['Node Type'] !== 'ModifyTable',
    );
    expect(scan?.['Index Cond'], JSON.stringify(plan)).toMatch(/\(id = /);
  });
});
