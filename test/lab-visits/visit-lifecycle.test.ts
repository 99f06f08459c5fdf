/**
 * Reading and changing visits over HTTP: get, list (filters, keyset pages), status moves, notes
 * and date, results, soft delete, snapshots that outlive catalog edits, and the audit trail.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../src/audit/tables.js';
import { newObjectId } from '../../src/http/object-id.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
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

describe('lab visits after creation', () => {
  let t: TestApp;
  let w: WorkspaceWorld;
  let clientId: string;
  let base: string;

  const create = async (extra: Record<string, unknown> = {}, client = clientId) =>
    (await ok(t.request('POST', base, { token: w.staff.token, body: visitBody(client, extra) }))).labVisit;
  const patch = (id: string, body: unknown, token = w.staff.token) =>
    t.request('PATCH', `${base}/${id}`, { token, body });
  const get = (id: string, token = w.owner.token) => t.request('GET', `${base}/${id}`, { token });

  beforeAll(async () => {
    t = await startTestApp();
    w = await createWorkspace(t);
    await createCatalogTest(t, w.admin, 101, 'CBC', 40);
    await createCatalogTest(t, w.admin, 205, 'CRP', 60);
    clientId = (await createClient(t, w)).id;
    base = visitsPath(w.workspaceId);
  });
  afterAll(() => t.close());

  describe('GET one', () => {
    it('answers {labVisit} to any member, staff without permissions included', async () => {
      const visit = await create({ labVisitNotes: PHI.notes });
      const res = await get(visit.id, w.bareStaff.token);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ labVisit: visit });
    });

    it('404 for an unknown visit, 422 invalid_id for a malformed one, 403 for non-members and personas', async () => {
      const visit = await create();
      expect((await get(newObjectId())).body).toEqual({
        error: 'not_found',
        message: 'Lab visit not found.',
      });
      expect((await get('nope')).body.error).toBe('invalid_id');
      expect((await get(visit.id, w.outsider.token)).status).toBe(403);
      expect((await get(visit.id, w.admin.token)).status).toBe(403);
      expect((await get(visit.id, w.customer.token)).status).toBe(403);
    });

    it('keeps the snapshot of the catalog as it was: later edits of the test do not change the visit', async () => {
      await createCatalogTest(t, w.admin, 777, 'Ferritin', 25);
      const visit = await create({ labTestIds: [777] });
      const edit = await t.request('PATCH', '/v1/labs/tests/777', {
        token: w.admin.token,
        body: { testTitle: 'Ferritin (serum)', price: 99 },
      });
      expect(edit.status, edit.text).toBe(200);
      await ok(
        t.request('PUT', `/v1/workspace/${w.workspaceId}/labs/tests/777`, {
          token: w.owner.token,
          body: { testTitle: 'Iron stores', price: 12 },
        }),
      );
      const read = (await get(visit.id)).body.labVisit;
      expect(read.labTestSnapshots).toEqual([
        { test: { testId: 777, testTitle: 'Ferritin' }, designTest: null },
      ]);
      expect(read.labVisitPricing.labVisitSubtotal).toBe(25);
      const later = await create({ labTestIds: [777] });
      expect(later.labTestSnapshots).toEqual([
        {
          test: { testId: 777, testTitle: 'Ferritin (serum)' },
          designTest: { testId: 777, testTitle: 'Iron stores', price: 12 },
        },
      ]);
    });
  });

  describe('status lifecycle', () => {
    it('moves pending → scheduled → collected → completed', async () => {
      const visit = await create();
      for (const status of ['scheduled', 'collected', 'completed']) {
        const res = await patch(visit.id, { labVisitStatus: status });
        expect(res.status, res.text).toBe(200);
        expect(res.body.labVisit.labVisitStatus).toBe(status);
      }
      expect((await get(visit.id)).body.labVisit.labVisitStatus).toBe('completed');
    });

    it('cancels from pending and from scheduled', async () => {
      const a = await create();
      expect((await patch(a.id, { labVisitStatus: 'cancelled' })).body.labVisit.labVisitStatus).toBe(
        'cancelled',
      );
      const b = await create();
      await patch(b.id, { labVisitStatus: 'scheduled' });
      expect((await patch(b.id, { labVisitStatus: 'cancelled' })).body.labVisit.labVisitStatus).toBe(
        'cancelled',
      );
    });

    it('422 invalid_transition for every other move, the visit unchanged', async () => {
      const visit = await create();
      const refusals: [string[], string][] = [
        [[], 'collected'],
        [[], 'completed'],
        [[], 'pending'],
        [['scheduled'], 'pending'],
        [['scheduled'], 'completed'],
        [['scheduled', 'collected'], 'cancelled'],
        [['scheduled', 'collected'], 'scheduled'],
        [['scheduled', 'collected', 'completed'], 'cancelled'],
      ];
      for (const [path, to] of refusals) {
        const v = await create();
        for (const step of path) expect((await patch(v.id, { labVisitStatus: step })).status).toBe(200);
        const res = await patch(v.id, { labVisitStatus: to });
        expect(res.status, `${path.at(-1) ?? 'pending'} → ${to}`).toBe(422);
        expect(res.body.error).toBe('invalid_transition');
        expect((await get(v.id)).body.labVisit.labVisitStatus).toBe(path.at(-1) ?? 'pending');
      }
      await patch(visit.id, { labVisitStatus: 'cancelled' });
      const res = await patch(visit.id, { labVisitStatus: 'scheduled' });
      expect(res.body).toEqual({
        error: 'invalid_transition',
        message: 'A cancelled visit cannot become scheduled.',
      });
    });

    it('changes notes any time and the date only before collection', async () => {
      const visit = await create({ labVisitNotes: 'first' });
      const res = await patch(visit.id, {
        labVisitNotes: PHI.notes,
        labVisitDate: '2036-02-01T09:30:00+01:00',
      });
      expect(res.status, res.text).toBe(200);
      expect(res.body.labVisit).toMatchObject({
        labVisitNotes: PHI.notes,
        labVisitDate: '2036-02-01T08:30:00.000Z',
      });
      expect((await patch(visit.id, { labVisitNotes: null })).body.labVisit.labVisitNotes).toBeNull();
      await patch(visit.id, { labVisitStatus: 'scheduled' });
      await patch(visit.id, { labVisitStatus: 'collected' });
      const late = await patch(visit.id, { labVisitDate: '2036-03-01T09:30:00.000Z' });
      expect(late.status).toBe(422);
      expect(late.body.error).toBe('invalid_transition');
      expect((await patch(visit.id, { labVisitNotes: 'after collection' })).status).toBe(200);
    });

    it('400 for an empty change, an unknown status, notes over 2000 characters or an unknown field', async () => {
      const visit = await create();
      for (const body of [
        {},
        { labVisitStatus: 'lost' },
        { labVisitNotes: 'x'.repeat(2001) },
        { labVisitType: 'at-home' },
      ]) {
        const res = await patch(visit.id, body);
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(res.body.error).toBe('validation_error');
      }
    });

    it('needs labs.run: 403 for staff without it, even to read-modify', async () => {
      const visit = await create();
      const res = await patch(visit.id, { labVisitStatus: 'scheduled' }, w.bareStaff.token);
      expect(res.status).toBe(403);
      expect((await get(visit.id)).body.labVisit.labVisitStatus).toBe('pending');
    });
  });

  describe('results', () => {
    const attach = (id: string, labTestResults: unknown, token = w.staff.token) =>
      t.request('POST', `${base}/${id}/results`, { token, body: { labTestResults } });

    it('attaches results to a collected visit, replacing a test’s earlier result, in the visit’s test order', async () => {
      const visit = await create();
      await patch(visit.id, { labVisitStatus: 'scheduled' });
      await patch(visit.id, { labVisitStatus: 'collected' });
      const first = await attach(visit.id, [
        { testId: 205, value: 12.4, unit: 'mg/L', referenceRange: '0-10', flag: 'high' },
      ]);
      expect(first.status, first.text).toBe(200);
      const second = await attach(visit.id, [
        { testId: 101, value: 'normal' },
        { testId: 205, value: 3.1, unit: 'mg/L', referenceRange: '0-10', flag: 'normal' },
      ]);
      expect(second.status).toBe(200);
      const results = second.body.labVisit.labTestResults;
      expect(results.map((r: any) => ({ ...r, resultedAt: typeof r.resultedAt }))).toEqual([
        { testId: 101, value: 'normal', unit: null, referenceRange: null, flag: null, resultedAt: 'string' },
        {
          testId: 205,
          value: 3.1,
          unit: 'mg/L',
          referenceRange: '0-10',
          flag: 'normal',
          resultedAt: 'string',
        },
      ]);
      expect((await get(visit.id)).body.labVisit.labTestResults).toEqual(results);
      await patch(visit.id, { labVisitStatus: 'completed' });
      expect((await attach(visit.id, [{ testId: 101, value: 4.5 }])).status).toBe(200);
    });

    it('422 unknown_lab_tests for a test that is not on the visit; 422 before collection', async () => {
      const visit = await create({ labTestIds: [101] });
      const early = await attach(visit.id, [{ testId: 101, value: 1 }]);
      expect(early.status).toBe(422);
      expect(early.body.error).toBe('invalid_transition');
      await patch(visit.id, { labVisitStatus: 'scheduled' });
      await patch(visit.id, { labVisitStatus: 'collected' });
      const foreign = await attach(visit.id, [{ testId: 205, value: 1 }]);
      expect(foreign.status).toBe(422);
      expect(foreign.body).toMatchObject({ error: 'unknown_lab_tests', message: 'Unknown lab tests: 205.' });
    });

    it('400 for no results, a repeated test, a bad flag or a missing value; 403 without labs.run', async () => {
      const visit = await create();
      for (const results of [
        [],
        [
          { testId: 101, value: 1 },
          { testId: 101, value: 2 },
        ],
        [{ testId: 101, value: 1, flag: 'weird' }],
        [{ testId: 101 }],
      ]) {
        const res = await attach(visit.id, results);
        expect(res.status, JSON.stringify(results)).toBe(400);
        expect(res.body.error).toBe('validation_error');
      }
      expect((await attach(visit.id, [{ testId: 101, value: 1 }], w.bareStaff.token)).status).toBe(403);
    });
  });

  describe('soft delete', () => {
    it('sets deletedAt, after which the visit is gone from every read and change (404)', async () => {
      const visit = await create();
      const del = await t.request('DELETE', `${base}/${visit.id}`, { token: w.staff.token });
      expect(del.status, del.text).toBe(200);
      expect(del.body.labVisit.deletedAt).toEqual(expect.any(String));
      const gone = { error: 'not_found', message: 'Lab visit not found.' };
      expect((await get(visit.id)).body).toEqual(gone);
      expect((await patch(visit.id, { labVisitNotes: 'x' })).body).toEqual(gone);
      expect((await t.request('DELETE', `${base}/${visit.id}`, { token: w.staff.token })).body).toEqual(gone);
      const list = await ok(t.request('GET', `${base}?limit=200`, { token: w.owner.token }), 200);
      expect(list.labVisits.some((v: any) => v.id === visit.id)).toBe(false);
    });

    it('needs labs.run', async () => {
      const visit = await create();
      expect((await t.request('DELETE', `${base}/${visit.id}`, { token: w.bareStaff.token })).status).toBe(
        403,
      );
    });
  });

  describe('list', () => {
    let ws: WorkspaceWorld;
    let a: string;
    let b: string;
    let listBase: string;

    beforeAll(async () => {
      ws = await createWorkspace(t, w.admin);
      a = (await createClient(t, ws)).id;
      b = (await createClient(t, ws)).id;
      listBase = visitsPath(ws.workspaceId);
      const dates = ['2036-01-01', '2036-01-02', '2036-01-03', '2036-01-04', '2036-01-05', '2036-01-05'];
      for (const [i, day] of dates.entries()) {
        await ok(
          t.request('POST', listBase, {
            token: ws.owner.token,
            body: visitBody(i % 2 === 0 ? a : b, { labVisitDate: `${day}T10:00:00.000Z`, labTestIds: [101] }),
          }),
        );
      }
    });

    const list = async (query: string) =>
      ok(t.request('GET', `${listBase}${query}`, { token: ws.bareStaff.token }), 200);

    it('pages through every visit, newest date first, with an opaque cursor; the last page has nextCursor null', async () => {
      const all = (await list('?limit=200')).labVisits;
      expect(all).toHaveLength(6);
      const keys = all.map((v: any) => `${v.labVisitDate}|${v.id}`);
      expect(keys).toEqual([...keys].sort().reverse());

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: any = await list(`?limit=4${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...page.labVisits.map((v: any) => v.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor !== null);
      expect(pages).toBe(2);
      expect(seen).toEqual(all.map((v: any) => v.id));
    });

    it('filters by client, status and date range (both ends inclusive)', async () => {
      expect((await list(`?clientId=${a}`)).labVisits.every((v: any) => v.clientId === a)).toBe(true);
      expect((await list(`?clientId=${a}`)).labVisits).toHaveLength(3);
      const range = (await list('?from=2036-01-02T10:00:00.000Z&to=2036-01-04T10:00:00.000Z')).labVisits;
      expect(range.map((v: any) => v.labVisitDate)).toEqual([
        '2036-01-04T10:00:00.000Z',
        '2036-01-03T10:00:00.000Z',
        '2036-01-02T10:00:00.000Z',
      ]);
      const first = (await list(`?clientId=${b}&limit=1`)).labVisits[0];
      await ok(
        t.request('PATCH', `${listBase}/${first.id}`, {
          token: ws.owner.token,
          body: { labVisitStatus: 'scheduled' },
        }),
        200,
      );
      expect((await list('?labVisitStatus=scheduled')).labVisits.map((v: any) => v.id)).toEqual([first.id]);
      expect((await list(`?labVisitStatus=scheduled&clientId=${a}`)).labVisits).toEqual([]);
    });

    it('400 for a bad limit, status, date or cursor; 422 for a malformed clientId', async () => {
      for (const q of [
        '?limit=0',
        '?limit=201',
        '?limit=ten',
        '?labVisitStatus=lost',
        '?from=yesterday',
        '?cursor=garbage',
      ]) {
        const res = await t.request('GET', `${listBase}${q}`, { token: ws.owner.token });
        expect(res.status, q).toBe(400);
        expect(res.body.error).toBe(q.startsWith('?cursor') ? 'invalid_cursor' : 'validation_error');
      }
      const res = await t.request('GET', `${listBase}?clientId=123`, { token: ws.owner.token });
      expect(res.status).toBe(422);
      expect(res.body.error).toBe('invalid_id');
    });
  });

  describe('audit trail', () => {
    it('records create, read, list, update, cancel and delete of a visit, with the actor and request id', async () => {
      const visit = await create();
      await t.request('GET', `${base}/${visit.id}`, {
        token: w.owner.token,
        headers: { 'x-request-id': 'audit-read-1' },
      });
      await t.request('GET', `${base}?clientId=${clientId}&limit=200`, { token: w.owner.token });
      await patch(visit.id, { labVisitNotes: 'changed' });
      await patch(visit.id, { labVisitStatus: 'cancelled' });
      await t.request('DELETE', `${base}/${visit.id}`, { token: w.staff.token });
      const rows = await t.database.db
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.resourceType, 'lab_visit'), eq(auditEvents.resourceId, visit.id)))
        .orderBy(auditEvents.id);
      expect(rows.map((r) => r.action)).toEqual(['create', 'read', 'list', 'update', 'cancel', 'delete']);
      expect(rows.every((r) => r.tenant === w.workspaceId)).toBe(true);
      expect(rows[0]!.actor).toBe(w.staff.id);
      expect(rows[1]).toMatchObject({ actor: w.owner.id, requestId: 'audit-read-1' });
    });

    it('audits only the visits a list page returns, not the row fetched to find the next page', async () => {
      const client = await createClient(t, w);
      const older = await create({ labVisitDate: '2036-01-01T00:00:00.000Z' }, client.id);
      const newer = await create({ labVisitDate: '2036-01-02T00:00:00.000Z' }, client.id);
      const page = await ok(
        t.request('GET', `${base}?clientId=${client.id}&limit=1`, { token: w.owner.token }),
        200,
      );
      expect(page.labVisits.map((v: any) => v.id)).toEqual([newer.id]);
      const actions = async (id: string) =>
        (await t.database.db.select().from(auditEvents).where(eq(auditEvents.resourceId, id))).map(
          (r) => r.action,
        );
      expect(await actions(newer.id)).toEqual(['create', 'list']);
      expect(await actions(older.id)).toEqual(['create']);
    });

    it('writes nothing for a refused change', async () => {
      const visit = await create();
      await patch(visit.id, { labVisitStatus: 'completed' });
      const rows = await t.database.db.select().from(auditEvents).where(eq(auditEvents.resourceId, visit.id));
      expect(rows.map((r) => r.action)).toEqual(['create']);
    });
  });
});
