/**
 * Events over HTTP (docs/events.md): each change of an order's life (through the simulator's
 * webhooks) and of a visit's life has its event, the object as its GET shows it and the changed
 * fields' earlier values; lists equal reads by id; tenants see only their own; kept 30 days.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClinicalEvent } from '../../src/lab-orders/events.js';
import { WorkspaceEvent } from '../../src/lab-visits/events.js';
import { createOrder, orderBody, startLabStack, type LabStack, BRAND } from '../helpers/lab-stack.js';
import { PHI } from '../helpers/phi.js';
import {
  createCatalogTest,
  createClient,
  createWorkspace,
  ok,
  visitBody,
  visitsPath,
  type WorkspaceWorld,
} from '../workspaces/world.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
const validators = { clinical: ajv.compile(ClinicalEvent), workspace: ajv.compile(WorkspaceEvent) };
const valid = (validate: ValidateFunction, body: unknown) => {
  expect(validate(body) ? [] : validate.errors, JSON.stringify(body)).toEqual([]);
};

const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 20_000) => {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('events', () => {
  let s: LabStack;
  let reader: string;
  beforeAll(async () => {
    s = await startLabStack({ env: { JOB_POLL_INTERVAL_MS: '200' } });
    reader = await s.t.token({ sub: 'svc-acme-reader', scope: 'lab-orders:read', brandIds: [BRAND] });
  });
  afterAll(() => s.close());

  /** Every event of the brand, newest first, through every page. */
  const allEvents = async (query = '', token = reader) => {
    const out: any[] = [];
    let cursor: string | null = null;
    do {
      const res = await s.t.request('GET', `/v1/events?limit=7${query}${cursor ? `&cursor=${cursor}` : ''}`, {
        token,
      });
      expect(res.status, res.text).toBe(200);
      out.push(...res.body.data);
      cursor = res.body.next_cursor;
    } while (cursor);
    return out;
  };
  /** An order's events, oldest first. */
  const orderEvents = async (orderId: string) =>
    (await allEvents()).filter((e) => e.data.object.id === orderId).reverse();
  const orderAsRead = async (id: string) => {
    const { events: _history, ...order } = (
      await s.t.request('GET', `/v1/lab-orders/${id}`, { token: reader })
    ).body;
    return order;
  };

  it('an order’s life: created when Junction accepts it, a status change per step through the webhooks, to completed', async () => {
    const res = await createOrder(s, orderBody());
    expect(res.status).toBe(201);
    const id = res.body.id as string;
    await s.sim.webhooksSettled();
    // One step at a time, each step's webhook applied before the next.
    for (let i = 0; i < 10 && s.sim.order(res.body.junction_order_id)!.status !== 'completed'; i++) {
      s.sim.advance(res.body.junction_order_id);
      await s.sim.webhooksSettled();
    }
    const order = await orderAsRead(id);
    expect(order.status).toBe('completed');

    const events = await orderEvents(id);
    expect(events.map((e) => e.type)).toEqual([
      'lab_order.created',
      'lab_order.status_changed',
      'lab_order.status_changed',
      'lab_order.status_changed',
    ]);
    expect(events.map((e) => e.data.object.status)).toEqual([
      'received',
      'collecting_sample',
      'sample_with_lab',
      'completed',
    ]);
    expect(events[0].data.previous).toMatchObject({
      status: 'submitting',
      junction_order_id: null,
      status_detail: null,
    });
    for (let i = 1; i < events.length; i++) {
      expect(events[i].data.previous.status).toBe(events[i - 1].data.object.status);
      expect(events[i].created_at >= events[i - 1].created_at).toBe(true);
    }
    expect(events.at(-1).data.previous).toHaveProperty('completed_at', null);
    // The last event's object is the order as its GET shows it now.
    expect(events.at(-1).data.object).toEqual(order);
    for (const e of events) {
      valid(validators.clinical, e);
      expect(e).toMatchObject({ brand_id: BRAND, id: expect.stringMatching(/^evt_[0-9a-f]{24}$/) });
      expect(e).not.toHaveProperty('workspace_id');
      const one = await s.t.request('GET', `/v1/events/${e.id}`, { token: reader });
      expect(one.status).toBe(200);
      expect(one.body).toEqual(e);
    }
    // Filtered by type.
    const created = await allEvents('&type=lab_order.created');
    expect(created.every((e) => e.type === 'lab_order.created')).toBe(true);
    expect(created.map((e) => e.id)).toContain(events[0].id);
  });

  it('a cancel is a status change; a refusal by Junction is lab_order.rejected', async () => {
    const res = await createOrder(s, orderBody());
    await s.sim.webhooksSettled();
    const cancel = await s.t.request('POST', `/v1/lab-orders/${res.body.id}/cancel`, { token: s.token });
    expect(cancel.status).toBe(200);
    const events = await orderEvents(res.body.id);
    expect(events.map((e) => [e.type, e.data.object.status])).toEqual([
      ['lab_order.created', 'received'],
      ['lab_order.status_changed', 'cancelled'],
    ]);

    const admin = await s.t.token({ sub: 'ops', scope: 'lab-orders:admin' });
    const brand = `brand-${randomUUID()}`;
    await ok(
      s.t.request('PUT', `/v1/brands/${brand}/panels/pcos`, {
        token: admin,
        body: { lab_test_id: 'no-such-lab-test' },
      }),
      200,
    );
    const token = await s.t.token({
      sub: 'svc-x',
      scope: 'lab-orders:write lab-orders:read',
      brandIds: [brand],
    });
    const refused = await createOrder(
      s,
      orderBody({ brand_id: brand, panel_id: 'pcos' }),
      randomUUID(),
      token,
    );
    expect(refused.status).toBe(502);
    const [rejected, ...more] = await allEvents('', token);
    expect(more).toEqual([]);
    valid(validators.clinical, rejected);
    expect(rejected).toMatchObject({
      type: 'lab_order.rejected',
      brand_id: brand,
      data: { object: { status: 'rejected', junction_order_id: null }, previous: { status: 'submitting' } },
    });
  });

  it('isolation: another brand’s events are not found, its brand_id is refused, its list shows none of them', async () => {
    const [mine] = await allEvents();
    expect(mine).toBeDefined();
    const other = await s.t.token({ sub: 'svc-other', scope: 'lab-orders:read', brandIds: ['brand-other'] });
    const res = await s.t.request('GET', `/v1/events/${mine.id}`, { token: other });
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('not_found');
    expect((await s.t.request('GET', `/v1/events?brand_id=${BRAND}`, { token: other })).status).toBe(403);
    expect(await allEvents('', other)).toEqual([]);
    expect((await s.t.request('GET', `/v1/events/evt_${'0'.repeat(24)}`, { token: reader })).status).toBe(
      404,
    );
    const noScope = await s.t.token({ sub: 'svc-w', scope: 'lab-orders:write', brandIds: [BRAND] });
    expect((await s.t.request('GET', '/v1/events', { token: noScope })).status).toBe(403);
  });

  it('pages newest first without gaps or repeats; a forged cursor is 400', async () => {
    const everything = await allEvents();
    const one = await s.t.request('GET', `/v1/events?limit=${everything.length + 5}`, { token: reader });
    expect(one.body.data).toEqual(everything);
    expect(one.body.next_cursor).toBeNull();
    const keys = everything.map((e) => `${e.created_at} ${e.id}`);
    expect([...keys].sort().reverse()).toEqual(keys);
    const bad = await s.t.request('GET', '/v1/events?cursor=abc', { token: reader });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid_cursor');
  });

  describe('a visit’s life', () => {
    let w: WorkspaceWorld;
    let base: string;
    beforeAll(async () => {
      w = await createWorkspace(s.t);
      await createCatalogTest(s.t, w.admin, 101, 'CBC', 40);
      await createCatalogTest(s.t, w.admin, 205, 'CRP', 60);
      base = visitsPath(w.workspaceId);
    });

    const workspaceEvents = async (prefix: string, workspaceId: string, token: string) => {
      const out: any[] = [];
      let cursor: string | null = null;
      do {
        const res = await s.t.request(
          'GET',
          `${prefix}/workspace/${workspaceId}/events?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
          { token },
        );
        expect(res.status, res.text).toBe(200);
        out.push(...res.body.events);
        cursor = res.body.nextCursor;
      } while (cursor);
      return out;
    };

    it('created, updated (status, notes, date), results added, deleted: each with the visit as its GET shows it', async () => {
      const clientId = (await createClient(s.t, w)).id;
      const staff = w.staff.token;
      const created = (
        await ok(
          s.t.request('POST', base, {
            token: staff,
            body: visitBody(clientId, { labVisitNotes: PHI.notes }),
          }),
        )
      ).labVisit;
      const patch = (body: unknown) =>
        ok(s.t.request('PATCH', `${base}/${created.id}`, { token: staff, body }), 200);
      await patch({ labVisitStatus: 'scheduled' });
      await patch({ labVisitNotes: 'Fasting' });
      await patch({ labVisitDate: '2036-02-01T09:00:00.000Z' });
      await patch({ labVisitNotes: 'Fasting' }); // changes nothing: no event
      await patch({ labVisitStatus: 'collected' });
      const withResults = (
        await ok(
          s.t.request('POST', `${base}/${created.id}/results`, {
            token: staff,
            body: { labTestResults: [{ testId: 101, value: 4.2, unit: 'g/dL' }] },
          }),
          200,
        )
      ).labVisit;
      await patch({ labVisitStatus: 'completed' });
      const read = (await ok(s.t.request('GET', `${base}/${created.id}`, { token: staff }), 200)).labVisit;
      const deleted = (await ok(s.t.request('DELETE', `${base}/${created.id}`, { token: staff }), 200))
        .labVisit;

      const events = (await workspaceEvents('/v1', w.workspaceId, w.bareStaff.token))
        .filter((e) => e.data.object.id === created.id)
        .reverse();
      expect(events.map((e) => e.type)).toEqual([
        'lab_visit.created',
        'lab_visit.updated',
        'lab_visit.updated',
        'lab_visit.updated',
        'lab_visit.updated',
        'lab_visit.results_added',
        'lab_visit.updated',
        'lab_visit.deleted',
      ]);
      expect(events[0].data).toEqual({ object: created, previous: {} });
      expect(events[1].data.previous).toEqual({ labVisitStatus: 'pending', updatedAt: created.updatedAt });
      expect(events[2].data.previous).toMatchObject({ labVisitNotes: PHI.notes });
      expect(events[3].data.previous).toMatchObject({ labVisitDate: created.labVisitDate });
      expect(events[3].data.object.labVisitDate).toBe('2036-02-01T09:00:00.000Z');
      expect(events[5].data.object).toEqual(withResults);
      expect(events[5].data.previous).toMatchObject({ labTestResults: [] });
      expect(events[6].data.object).toEqual(read);
      expect(events[7].data).toEqual({
        object: deleted,
        previous: { deletedAt: null, updatedAt: read.updatedAt },
      });
      for (const e of events) {
        valid(validators.workspace, e);
        expect(e.workspace_id).toBe(w.workspaceId);
        expect(e).not.toHaveProperty('brand_id');
        for (const prefix of ['/v1', '/api/v1']) {
          const one = await s.t.request('GET', `${prefix}/workspace/${w.workspaceId}/events/${e.id}`, {
            token: w.bareStaff.token,
          });
          expect(one.status).toBe(200);
          expect(one.body).toEqual({ event: e });
        }
      }
      expect(await workspaceEvents('/api/v1', w.workspaceId, w.owner.token)).toEqual(
        await workspaceEvents('/v1', w.workspaceId, w.owner.token),
      );
      const typed = await s.t.request('GET', `/v1/workspace/${w.workspaceId}/events?type=lab_visit.deleted`, {
        token: w.owner.token,
      });
      expect(typed.body.events.map((e: any) => e.id)).toEqual([events[7].id]);
    });

    it('isolation: another workspace’s event is not found, non-members are refused, clinical tokens never see them', async () => {
      const [event] = await workspaceEvents('/v1', w.workspaceId, w.owner.token);
      expect(event).toBeDefined();
      const w2 = await createWorkspace(s.t, w.admin);
      const cross = await s.t.request('GET', `/v1/workspace/${w2.workspaceId}/events/${event.id}`, {
        token: w2.owner.token,
      });
      expect(cross.status).toBe(404);
      expect(await workspaceEvents('/v1', w2.workspaceId, w2.owner.token)).toEqual([]);
      expect(
        (await s.t.request('GET', `/v1/workspace/${w.workspaceId}/events`, { token: w.outsider.token }))
          .status,
      ).toBe(403);
      expect(
        (
          await s.t.request('GET', `/v1/workspace/${w.workspaceId}/events/${event.id}`, {
            token: w2.owner.token,
          })
        ).status,
      ).toBe(403);
      const allBrands = await s.t.token({ sub: 'svc-all', scope: 'lab-orders:read' });
      expect((await s.t.request('GET', `/v1/events/${event.id}`, { token: allBrands })).status).toBe(404);
      const listed = (await allEvents('', allBrands)).map((e) => e.id);
      expect(listed).not.toContain(event.id);
      expect(listed.length).toBeGreaterThan(0);
    });
  });

  it('events are kept 30 days: the purge job deletes older ones', async () => {
    const [event] = await allEvents();
    await s.t.database.db.execute(
      sql`update events set created_at = now() - interval '31 days' where id = ${event.id}`,
    );
    await s.t.database.db.execute(sql`update jobs set run_at = now() where queue = 'events.purge'`);
    await until(
      'the old event is gone',
      async () => (await s.t.request('GET', `/v1/events/${event.id}`, { token: reader })).status === 404,
    );
    expect((await allEvents()).length).toBeGreaterThan(0);
  });
});
