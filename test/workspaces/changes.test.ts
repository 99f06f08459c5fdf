/**
 * Changing what a workspace holds, over HTTP: members (a workspace keeps an owner, also when two
 * owners demote each other at once; a removed member is refused at once, on another instance
 * too), clients and referrals (edits, `null` clearing, archives that keep old visits readable and
 * refuse new ones), renaming and searching workspaces; each change's one audit row; no client
 * value in a log line.
 */
import { eq } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../src/audit/tables.js';
import { newObjectId } from '../../src/http/object-id.js';
import { startTestApp, type TestApp, type TestResponse } from '../helpers/app.js';
import { usingPostgres } from '../helpers/database.js';
import { PHI, PHI_CHANGED } from '../helpers/phi.js';
import {
  createCatalogTest,
  createClient,
  createCoupon,
  createReferral,
  createWorkspace,
  ok,
  person,
  visitBody,
  visitsPath,
  type Person,
  type WorkspaceWorld,
} from './world.js';
import { onPostgres } from '../helpers/skip.js';

describe('workspace changes', () => {
  let t: TestApp;
  let w: WorkspaceWorld;
  let ws: string;

  beforeAll(async () => {
    t = await startTestApp();
    w = await createWorkspace(t);
    ws = `/v1/workspace/${w.workspaceId}`;
    await createCatalogTest(t, w.admin, 101, 'CBC', 40);
    await createCatalogTest(t, w.admin, 205, 'CRP', 60);
  });
  afterAll(() => t.close());

  /** The audit rows the request that got `res` wrote. */
  async function auditRowsOf(res: TestResponse) {
    return t.database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.requestId, res.headers.get('x-request-id')!))
      .orderBy(auditEvents.id);
  }

  async function expectOneAuditRow(
    res: TestResponse,
    row: { actor: string; action: string; resourceType: string; resourceId: string; tenant: string },
  ) {
    expect(res.status, res.text).toBe(200);
    const rows = await auditRowsOf(res);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject(row);
  }

  /** A fresh workspace (its owner alone) with a second owner. */
  async function twoOwners(): Promise<{ world: WorkspaceWorld; base: string; second: Person }> {
    const world = await createWorkspace(t, w.admin);
    const second = await person(t);
    const base = `/v1/workspace/${world.workspaceId}`;
    await ok(
      t.request('POST', `${base}/members`, {
        token: world.owner.token,
        body: { userId: second.id, role: 'owner' },
      }),
    );
    return { world, base, second };
  }

  describe('members', () => {
    it('an owner changes a role and permissions; permissions replace the list and null clears them', async () => {
      const p = await person(t);
      const member = (
        await ok(
          t.request('POST', `${ws}/members`, { token: w.owner.token, body: { userId: p.id, role: 'staff' } }),
        )
      ).member;
      const path = `${ws}/members/${p.id}`;
      const granted = await t.request('PATCH', path, {
        token: w.owner.token,
        body: { permissions: ['labs.run', 'clients.write'] },
      });
      expect(granted.status, granted.text).toBe(200);
      expect(granted.body.member).toEqual({
        ...member,
        permissions: ['labs.run', 'clients.write'],
        updatedAt: expect.any(String),
      });
      const promoted = await ok(
        t.request('PATCH', path, { token: w.owner.token, body: { role: 'owner' } }),
        200,
      );
      expect(promoted.member).toMatchObject({ role: 'owner', permissions: ['labs.run', 'clients.write'] });
      const cleared = await ok(
        t.request('PATCH', path, { token: w.owner.token, body: { role: 'staff', permissions: null } }),
        200,
      );
      expect(cleared.member).toMatchObject({ role: 'staff', permissions: [] });
      // what the membership now allows is what the next request gets
      expect(
        (
          await t.request('POST', `${ws}/clients`, {
            token: p.token,
            body: { firstName: 'A', lastName: 'B' },
          })
        ).status,
      ).toBe(403);
    });

    it('400 for an empty body, an unknown field, a null role, an unknown permission; 404 for a non-member; 422 for a malformed user id', async () => {
      const path = `${ws}/members/${w.bareStaff.id}`;
      for (const body of [
        {},
        { role: 'staff', admin: true },
        { role: null },
        { permissions: ['labs.all'] },
        { permissions: ['labs.run', 'labs.run'] },
      ]) {
        const res = await t.request('PATCH', path, { token: w.owner.token, body });
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(res.body.error).toBe('validation_error');
      }
      const unknown = await t.request('PATCH', `${ws}/members/${newObjectId()}`, {
        token: w.owner.token,
        body: { role: 'staff' },
      });
      expect(unknown.status).toBe(404);
      expect(unknown.body).toEqual({ error: 'not_found', message: 'Member not found.' });
      expect(
        (await t.request('DELETE', `${ws}/members/${newObjectId()}`, { token: w.owner.token })).status,
      ).toBe(404);
      expect((await t.request('DELETE', `${ws}/members/nope`, { token: w.owner.token })).body.error).toBe(
        'invalid_id',
      );
    });

    it('the last owner can be neither demoted nor removed (409 last_owner, nothing written); with a second owner they can', async () => {
      const { world, base, second } = await twoOwners();
      const demoteSecond = await t.request('PATCH', `${base}/members/${second.id}`, {
        token: world.owner.token,
        body: { role: 'staff' },
      });
      expect(demoteSecond.status, demoteSecond.text).toBe(200);
      for (const [method, body] of [
        ['PATCH', { role: 'staff' }],
        ['DELETE', undefined],
      ] as const) {
        const res = await t.request(method, `${base}/members/${world.owner.id}`, {
          token: world.owner.token,
          ...(body ? { body } : {}),
        });
        expect(res.status, method).toBe(409);
        expect(res.body).toEqual({
          error: 'last_owner',
          message: "This is the workspace's last owner: make another member an owner first.",
        });
        expect(await auditRowsOf(res)).toEqual([]);
      }
      // a change of the last owner that keeps them owner is fine
      expect(
        (
          await t.request('PATCH', `${base}/members/${world.owner.id}`, {
            token: world.owner.token,
            body: { permissions: ['labs.run'] },
          })
        ).status,
      ).toBe(200);
      // with another owner, an owner may step down or leave
      await ok(
        t.request('PATCH', `${base}/members/${second.id}`, {
          token: world.owner.token,
          body: { role: 'owner' },
        }),
        200,
      );
      await ok(t.request('DELETE', `${base}/members/${world.owner.id}`, { token: world.owner.token }), 200);
      const members = await ok(t.request('GET', `${base}/members`, { token: second.token }), 200);
      expect(members.members.map((m: { userId: string }) => m.userId)).not.toContain(world.owner.id);
      expect(members.members.filter((m: { role: string }) => m.role === 'owner')).toEqual([
        expect.objectContaining({ userId: second.id }),
      ]);
    });

    /**
     * The other one is 409 `last_owner` when both were let in as owners (the workspace lock makes
     * it wait for the first and then see it), or 403 when it arrived after the first had committed
     * (its sender is no longer an owner).
     */
    function oneSucceeds(a: TestResponse, b: TestResponse) {
      expect(
        [a.status, b.status].filter((s) => s === 200),
        `${a.text} ${b.text}`,
      ).toHaveLength(1);
      const refused = a.status === 200 ? b : a;
      expect([
        [403, 'forbidden'],
        [409, 'last_owner'],
      ]).toContainEqual([refused.status, refused.body.error]);
    }

    it('two owners demoting each other at the same moment: exactly one succeeds, the other is 409 last_owner', async () => {
      for (let round = 0; round < 5; round++) {
        const { world, base, second } = await twoOwners();
        const [a, b] = await Promise.all([
          t.request('PATCH', `${base}/members/${second.id}`, {
            token: world.owner.token,
            body: { role: 'staff' },
          }),
          t.request('PATCH', `${base}/members/${world.owner.id}`, {
            token: second.token,
            body: { role: 'staff' },
          }),
        ]);
        oneSucceeds(a, b);
        const members = await ok(t.request('GET', `${base}/members`, { token: second.token }), 200);
        expect(members.members.filter((m: { role: string }) => m.role === 'owner')).toHaveLength(1);
      }
    });

    onPostgres.it(
      'both let in as owners, the two demotions queue on the workspace lock: one 200, the other 409 last_owner',
      async () => {
        const { world, base, second } = await twoOwners();
        // Hold the workspace row lock until both requests, past their guards, wait for it.
        const holder = new pg.Client({ connectionString: (t.config.database as { url: string }).url });
        await holder.connect();
        try {
          await holder.query('begin');
          await holder.query('select id from workspaces where id = $1 for update', [world.workspaceId]);
          const both = Promise.all([
            t.request('PATCH', `${base}/members/${second.id}`, {
              token: world.owner.token,
              body: { role: 'staff' },
            }),
            t.request('PATCH', `${base}/members/${world.owner.id}`, {
              token: second.token,
              body: { role: 'staff' },
            }),
          ]);
          for (;;) {
            const { rows } = await holder.query<{ n: number }>(
              "select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
            );
            if (rows[0]!.n >= 2) break;
            await new Promise((r) => setTimeout(r, 20));
          }
          await holder.query('commit');
          const [a, b] = await both;
          expect([a.status, b.status].sort(), `${a.text} ${b.text}`).toEqual([200, 409]);
          expect((a.status === 409 ? a : b).body.error).toBe('last_owner');
        } finally {
          await holder.end();
        }
      },
    );

    it('two owners removing each other at the same moment: exactly one succeeds', async () => {
      for (let round = 0; round < 3; round++) {
        const { world, base, second } = await twoOwners();
        const [a, b] = await Promise.all([
          t.request('DELETE', `${base}/members/${second.id}`, { token: world.owner.token }),
          t.request('DELETE', `${base}/members/${world.owner.id}`, { token: second.token }),
        ]);
        oneSucceeds(a, b);
        const survivor = a.status === 200 ? world.owner : second;
        const members = await ok(t.request('GET', `${base}/members`, { token: survivor.token }), 200);
        expect(members.members.filter((m: { role: string }) => m.role === 'owner')).toEqual([
          expect.objectContaining({ userId: survivor.id }),
        ]);
      }
    });

    it("a removed member's next request is 403, on this instance and on another one", async () => {
      const p = await person(t);
      await ok(
        t.request('POST', `${ws}/members`, {
          token: w.owner.token,
          body: { userId: p.id, role: 'staff', permissions: ['labs.run'] },
        }),
      );
      // the same database through a second app instance (PGlite in memory has a single instance)
      const replica = usingPostgres
        ? await startTestApp({ databaseUrl: (t.config.database as { url: string }).url, sim: t.sim })
        : null;
      try {
        const instances = replica ? [t, replica] : [t];
        for (const app of instances) {
          expect((await app.request('GET', `${ws}/labs/visits`, { token: p.token })).status).toBe(200);
        }
        const removed = await t.request('DELETE', `${ws}/members/${p.id}`, { token: w.owner.token });
        expect(removed.status, removed.text).toBe(200);
        expect(removed.body.member).toMatchObject({ userId: p.id, role: 'staff' });
        for (const app of instances) {
          const res = await app.request('GET', `${ws}/labs/visits`, { token: p.token });
          expect(res.status).toBe(403);
          expect(res.body).toEqual({
            error: 'forbidden',
            message: 'You are not a member of this workspace.',
          });
        }
        expect((await t.request('GET', `/v1/workspaces/${w.workspaceId}`, { token: p.token })).status).toBe(
          403,
        );
        // and may be added again
        await ok(
          t.request('POST', `${ws}/members`, { token: w.owner.token, body: { userId: p.id, role: 'staff' } }),
        );
      } finally {
        await replica?.close();
      }
    });

    it('adding, changing and removing a member each write exactly one audit row', async () => {
      const p = await person(t);
      const add = await t.request('POST', `${ws}/members`, {
        token: w.owner.token,
        body: { userId: p.id, role: 'staff' },
      });
      expect(add.status).toBe(201);
      const rows = await auditRowsOf(add);
      expect(rows).toHaveLength(1);
      const row = {
        actor: w.owner.id,
        resourceType: 'workspace_member',
        resourceId: add.body.member.id,
        tenant: w.workspaceId,
      };
      expect(rows[0]).toMatchObject({ ...row, action: 'create' });
      await expectOneAuditRow(
        await t.request('PATCH', `${ws}/members/${p.id}`, { token: w.owner.token, body: { role: 'owner' } }),
        { ...row, action: 'update' },
      );
      await expectOneAuditRow(await t.request('DELETE', `${ws}/members/${p.id}`, { token: w.owner.token }), {
        ...row,
        action: 'delete',
      });
    });
  });

  describe('clients', () => {
    it('PATCH changes the given fields only; null clears email, dob and phone; each edit is one audit row by the staff member', async () => {
      const client = await createClient(t, w);
      const path = `${ws}/clients/${client.id}`;
      const res = await t.request('PATCH', path, {
        token: w.staff.token,
        body: { lastName: PHI_CHANGED.lastName, email: PHI_CHANGED.email, phone: PHI_CHANGED.phone },
      });
      expect(res.status, res.text).toBe(200);
      expect(res.body.client).toEqual({
        ...client,
        lastName: PHI_CHANGED.lastName,
        email: PHI_CHANGED.email,
        phone: PHI_CHANGED.phone,
        updatedAt: expect.any(String),
      });
      await expectOneAuditRow(res, {
        actor: w.staff.id,
        action: 'update',
        resourceType: 'workspace_client',
        resourceId: client.id,
        tenant: w.workspaceId,
      });
      const cleared = await ok(
        t.request('PATCH', path, { token: w.owner.token, body: { email: null, dob: null, phone: null } }),
        200,
      );
      expect(cleared.client).toMatchObject({
        firstName: PHI.firstName,
        lastName: PHI_CHANGED.lastName,
        email: null,
        dob: null,
        phone: null,
      });
      expect((await ok(t.request('GET', path, { token: w.bareStaff.token }), 200)).client).toEqual(
        cleared.client,
      );
      expect(t.logs.join('\n')).not.toContain(PHI_CHANGED.lastName);
    });

    it('400 for an empty body, an unknown field, a null or empty name, a bad email, dob or phone (the value never in a log line); 404 unknown; 422 malformed', async () => {
      const client = await createClient(t, w);
      const path = `${ws}/clients/${client.id}`;
      for (const body of [
        {},
        { ssn: '000-00-0000' },
        { firstName: null },
        { lastName: '' },
        { email: `${PHI_CHANGED.lastName}-not-an-email` },
        { dob: '2999-01-01' },
        { phone: PHI_CHANGED.phone.slice(1) },
        { archivedAt: null },
      ]) {
        const res = await t.request('PATCH', path, { token: w.owner.token, body });
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(res.body.error).toBe('validation_error');
        expect(await auditRowsOf(res)).toEqual([]);
      }
      expect(t.logs.join('\n')).not.toContain(PHI_CHANGED.lastName);
      expect(
        (
          await t.request('PATCH', `${ws}/clients/${newObjectId()}`, {
            token: w.owner.token,
            body: { firstName: 'X' },
          })
        ).body,
      ).toEqual({
        error: 'not_found',
        message: 'Client not found.',
      });
      expect(
        (await t.request('PATCH', `${ws}/clients/x`, { token: w.owner.token, body: { firstName: 'X' } })).body
          .error,
      ).toBe('invalid_id');
      expect(
        (await t.request('DELETE', `${ws}/clients/${newObjectId()}`, { token: w.owner.token })).status,
      ).toBe(404);
    });

    it('archive: readable with archivedAt, gone from the list unless ?archived=true, no new visit or referral, an earlier visit readable with its snapshots', async () => {
      const client = await createClient(t, w);
      const referral = await createReferral(t, w, { clientId: client.id });
      await ok(
        t.request('PUT', `${ws}/labs/tests/101`, {
          token: w.owner.token,
          body: { testTitle: 'Blood count', price: 35 },
        }),
      );
      await createCoupon(t, w, { code: 'ARCHIVE5', type: 'fixed', value: 5 });
      const visitsBase = visitsPath(w.workspaceId);
      const { labVisit } = await ok(
        t.request('POST', visitsBase, {
          token: w.staff.token,
          body: visitBody(client.id, {
            referralId: referral.id,
            labVisitNotes: PHI.notes,
            labCouponCode: 'ARCHIVE5',
          }),
        }),
      );

      const archived = await t.request('DELETE', `${ws}/clients/${client.id}`, { token: w.staff.token });
      await expectOneAuditRow(archived, {
        actor: w.staff.id,
        action: 'archive',
        resourceType: 'workspace_client',
        resourceId: client.id,
        tenant: w.workspaceId,
      });
      expect(archived.body.client).toEqual({
        ...client,
        archivedAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const archivedAt = archived.body.client.archivedAt as string;
      expect(Date.parse(archivedAt)).toBeGreaterThanOrEqual(Date.parse(client.createdAt));

      expect(
        (await ok(t.request('GET', `${ws}/clients/${client.id}`, { token: w.bareStaff.token }), 200)).client,
      ).toEqual(archived.body.client);
      const ids = async (query: string) =>
        (
          await ok(t.request('GET', `${ws}/clients?limit=200${query}`, { token: w.owner.token }), 200)
        ).clients.map((c: { id: string }) => c.id);
      expect(await ids('')).not.toContain(client.id);
      expect(await ids('&archived=false')).not.toContain(client.id);
      expect(await ids('&archived=true')).toContain(client.id);
      expect((await t.request('GET', `${ws}/clients?archived=maybe`, { token: w.owner.token })).status).toBe(
        400,
      );

      const refused = await t.request('POST', visitsBase, {
        token: w.staff.token,
        body: visitBody(client.id, { labCouponCode: 'ARCHIVE5' }),
      });
      expect(refused.status).toBe(422);
      expect(refused.body).toMatchObject({ error: 'client_archived', details: [{ path: '/clientId' }] });
      const coupons = await ok(t.request('GET', `${ws}/labs/coupons`, { token: w.owner.token }), 200);
      expect(coupons.labCoupons.find((c: { code: string }) => c.code === 'ARCHIVE5').redemptions).toBe(1);
      const newReferral = await t.request('POST', `${ws}/referrals`, {
        token: w.owner.token,
        body: { name: 'Dr. Late', clientId: client.id },
      });
      expect(newReferral.status).toBe(422);
      expect(newReferral.body.error).toBe('client_archived');

      // the earlier visit: readable, unchanged, snapshots and pricing as booked; it can still move on
      const read = await ok(
        t.request('GET', `${visitsBase}/${labVisit.id}`, { token: w.bareStaff.token }),
        200,
      );
      expect(read.labVisit).toEqual(labVisit);
      expect(read.labVisit.labTestSnapshots[0]).toEqual({
        test: { testId: 101, testTitle: 'CBC' },
        designTest: { testId: 101, testTitle: 'Blood count', price: 35 },
      });
      const listed = await ok(
        t.request('GET', `${visitsBase}?clientId=${client.id}`, { token: w.owner.token }),
        200,
      );
      expect(listed.labVisits).toEqual([labVisit]);
      expect(
        (
          await t.request('PATCH', `${visitsBase}/${labVisit.id}`, {
            token: w.staff.token,
            body: { labVisitStatus: 'scheduled' },
          })
        ).status,
      ).toBe(200);

      // archiving again changes nothing and answers the client as archived then
      const again = await t.request('DELETE', `${ws}/clients/${client.id}`, { token: w.owner.token });
      expect(again.status).toBe(200);
      expect(again.body.client.archivedAt).toBe(archivedAt);
      expect((await auditRowsOf(again)).map((r) => r.action)).toEqual(['read']);
      // an archived client can still be corrected
      await ok(
        t.request('PATCH', `${ws}/clients/${client.id}`, { token: w.owner.token, body: { phone: null } }),
        200,
      );
    });
  });

  describe('referrals', () => {
    it('PATCH edits name and notes (null clears notes); clientId cannot change; each edit is one audit row', async () => {
      const client = await createClient(t, w);
      const referral = await createReferral(t, w, { clientId: client.id, notes: PHI.notes });
      const path = `${ws}/referrals/${referral.id}`;
      const res = await t.request('PATCH', path, {
        token: w.staff.token,
        body: { name: 'Dr. Renamed', notes: PHI_CHANGED.notes },
      });
      await expectOneAuditRow(res, {
        actor: w.staff.id,
        action: 'update',
        resourceType: 'workspace_referral',
        resourceId: referral.id,
        tenant: w.workspaceId,
      });
      expect(res.body.referral).toEqual({
        ...referral,
        name: 'Dr. Renamed',
        notes: PHI_CHANGED.notes,
        updatedAt: expect.any(String),
      });
      expect(
        (await ok(t.request('PATCH', path, { token: w.owner.token, body: { notes: null } }), 200)).referral
          .notes,
      ).toBeNull();
      for (const body of [
        {},
        { name: null },
        { name: '' },
        { clientId: null },
        { notes: 'n'.repeat(2001) },
      ]) {
        expect(
          (await t.request('PATCH', path, { token: w.owner.token, body })).status,
          JSON.stringify(body),
        ).toBe(400);
      }
      expect(
        (
          await t.request('PATCH', `${ws}/referrals/${newObjectId()}`, {
            token: w.owner.token,
            body: { name: 'x' },
          })
        ).status,
      ).toBe(404);
      expect(t.logs.join('\n')).not.toContain(PHI_CHANGED.notes);
    });

    it('archive: readable, hidden from the list unless ?archived=true, a new visit naming it is 422 invalid_referral, an earlier visit keeps it', async () => {
      const client = await createClient(t, w);
      const referral = await createReferral(t, w);
      const visitsBase = visitsPath(w.workspaceId);
      const { labVisit } = await ok(
        t.request('POST', visitsBase, {
          token: w.staff.token,
          body: visitBody(client.id, { referralId: referral.id }),
        }),
      );
      const archived = await t.request('DELETE', `${ws}/referrals/${referral.id}`, { token: w.owner.token });
      await expectOneAuditRow(archived, {
        actor: w.owner.id,
        action: 'archive',
        resourceType: 'workspace_referral',
        resourceId: referral.id,
        tenant: w.workspaceId,
      });
      expect(archived.body.referral.archivedAt).toEqual(expect.any(String));
      expect(
        (await ok(t.request('GET', `${ws}/referrals/${referral.id}`, { token: w.bareStaff.token }), 200))
          .referral,
      ).toEqual(archived.body.referral);
      const ids = async (query: string) =>
        (
          await ok(t.request('GET', `${ws}/referrals?limit=200${query}`, { token: w.owner.token }), 200)
        ).referrals.map((r: { id: string }) => r.id);
      expect(await ids('')).not.toContain(referral.id);
      expect(await ids('&archived=true')).toContain(referral.id);

      const refused = await t.request('POST', visitsBase, {
        token: w.staff.token,
        body: visitBody(client.id, { referralId: referral.id }),
      });
      expect(refused.status).toBe(422);
      expect(refused.body).toEqual({
        error: 'invalid_referral',
        message: 'The referral is archived.',
        details: [{ path: '/referralId', message: 'The referral is archived.' }],
      });
      expect(
        (await ok(t.request('GET', `${visitsBase}/${labVisit.id}`, { token: w.owner.token }), 200)).labVisit,
      ).toEqual(labVisit);
      // the client itself still takes visits
      await ok(t.request('POST', visitsBase, { token: w.staff.token, body: visitBody(client.id) }));
    });
  });

  describe('pricing decisions', () => {
    it('catalog tests, workspace prices and coupons: each create and change is one audit row by its author; a refused one writes none', async () => {
      const world = await createWorkspace(t, w.admin);
      const base = `/v1/workspace/${world.workspaceId}`;
      const rowsOf = async (res: TestResponse, status: number) => {
        expect(res.status, res.text).toBe(status);
        return (await auditRowsOf(res)).map((r) => ({
          actor: r.actor,
          action: r.action,
          resourceType: r.resourceType,
          resourceId: r.resourceId,
          tenant: r.tenant,
        }));
      };
      const adminRow = (action: string) => ({
        actor: w.admin.id,
        action,
        resourceType: 'lab_test',
        resourceId: '777',
        tenant: null,
      });
      const body = { testId: 777, testTitle: 'Ferritin', price: 25 };
      expect(
        await rowsOf(await t.request('POST', '/v1/labs/tests', { token: w.admin.token, body }), 201),
      ).toEqual([adminRow('create')]);
      expect(
        await rowsOf(
          await t.request('PATCH', '/v1/labs/tests/777', { token: w.admin.token, body: { price: 27.5 } }),
          200,
        ),
      ).toEqual([adminRow('update')]);

      const priceRow = (action: string) => ({
        actor: world.owner.id,
        action,
        resourceType: 'workspace_lab_test',
        resourceId: '777',
        tenant: world.workspaceId,
      });
      const price = (p: number) =>
        t.request('PUT', `${base}/labs/tests/777`, {
          token: world.owner.token,
          body: { testTitle: 'Ferritin (ours)', price: p },
        });
      expect(await rowsOf(await price(20), 201)).toEqual([priceRow('create')]);
      expect(await rowsOf(await price(22), 200)).toEqual([priceRow('update')]);

      const created = await t.request('POST', `${base}/labs/coupons`, {
        token: world.owner.token,
        body: { code: 'AUDITED5', type: 'fixed', value: 5 },
      });
      const couponId = created.body.labCoupon.id as string;
      const couponRow = (action: string) => ({
        actor: world.owner.id,
        action,
        resourceType: 'workspace_lab_coupon',
        resourceId: couponId,
        tenant: world.workspaceId,
      });
      expect(await rowsOf(created, 201)).toEqual([couponRow('create')]);
      const off = await t.request('PATCH', `${base}/labs/coupons/${couponId}`, {
        token: world.owner.token,
        body: { active: false },
      });
      expect(await rowsOf(off, 200)).toEqual([couponRow('update')]);

      // Refused: unknown, duplicate, not allowed.
      expect(
        await rowsOf(
          await t.request('PATCH', `${base}/labs/coupons/${newObjectId()}`, {
            token: world.owner.token,
            body: { active: true },
          }),
          404,
        ),
      ).toEqual([]);
      expect(
        await rowsOf(await t.request('POST', '/v1/labs/tests', { token: w.admin.token, body }), 409),
      ).toEqual([]);
      expect(
        await rowsOf(
          await t.request('PATCH', '/v1/labs/tests/778', { token: w.admin.token, body: { price: 1 } }),
          404,
        ),
      ).toEqual([]);
      expect(
        await rowsOf(
          await t.request('POST', `${base}/labs/coupons`, {
            token: world.owner.token,
            body: { code: 'AUDITED5', type: 'fixed', value: 5 },
          }),
          409,
        ),
      ).toEqual([]);
    });
  });

  describe('workspaces', () => {
    it('the platform admin or an owner renames one; each rename is one audit row; bad bodies 400, unknown 404, malformed 422', async () => {
      const world = await createWorkspace(t, w.admin);
      const path = `/v1/workspaces/${world.workspaceId}`;
      const byOwner = await t.request('PATCH', path, {
        token: world.owner.token,
        body: { name: 'Harbour Clinic' },
      });
      await expectOneAuditRow(byOwner, {
        actor: world.owner.id,
        action: 'update',
        resourceType: 'workspace',
        resourceId: world.workspaceId,
        tenant: world.workspaceId,
      });
      expect(byOwner.body.workspace).toMatchObject({
        id: world.workspaceId,
        name: 'Harbour Clinic',
        ownerUserId: world.owner.id,
      });
      const byAdmin = await ok(
        t.request('PATCH', `/api${path}`, { token: w.admin.token, body: { name: 'Harbour Clinic East' } }),
        200,
      );
      expect(byAdmin.workspace.name).toBe('Harbour Clinic East');
      expect((await ok(t.request('GET', path, { token: world.bareStaff.token }), 200)).workspace.name).toBe(
        'Harbour Clinic East',
      );
      for (const body of [
        {},
        { name: '' },
        { name: null },
        { name: 'x'.repeat(201) },
        { name: 'X', ownerUserId: world.staff.id },
      ]) {
        expect(
          (await t.request('PATCH', path, { token: w.admin.token, body })).status,
          JSON.stringify(body),
        ).toBe(400);
      }
      for (const who of [w.admin, world.owner]) {
        const res = await t.request('PATCH', `/v1/workspaces/${newObjectId()}`, {
          token: who.token,
          body: { name: 'X' },
        });
        expect(res.body).toEqual({ error: 'not_found', message: 'Workspace not found.' });
      }
      expect(
        (await t.request('PATCH', '/v1/workspaces/abc', { token: w.admin.token, body: { name: 'X' } })).body
          .error,
      ).toBe('invalid_id');
    });

    it('?q= finds names containing the text in any letter case; % and _ are plain characters; pages keep the filter', async () => {
      const names = ['Lakeside 100% Labs', 'Lakeside_Care', 'LAKESIDE clinic', 'Lakes Idea'];
      const created: string[] = [];
      for (const name of names) {
        const owner = await person(t);
        created.push(
          (
            await ok(
              t.request('POST', '/v1/workspaces', {
                token: w.admin.token,
                body: { name, ownerUserId: owner.id },
              }),
            )
          ).workspace.id,
        );
      }
      const search = async (q: string, extra = '') =>
        (await ok(
          t.request('GET', `/v1/workspaces?q=${encodeURIComponent(q)}${extra}`, { token: w.admin.token }),
          200,
        )) as {
          workspaces: { id: string; name: string }[];
          nextCursor: string | null;
        };
      expect((await search('lakeside')).workspaces.map((x) => x.name)).toEqual(names.slice(0, 3));
      expect((await search('%')).workspaces.map((x) => x.name)).toEqual(['Lakeside 100% Labs']);
      expect((await search('_')).workspaces.map((x) => x.name)).toEqual(['Lakeside_Care']);
      expect((await search('no such clinic anywhere')).workspaces).toEqual([]);
      const first = await search('lakeside', '&limit=2');
      const second = await search('lakeside', `&limit=2&cursor=${first.nextCursor}`);
      expect([...first.workspaces, ...second.workspaces].map((x) => x.id)).toEqual(created.slice(0, 3));
      expect(second.nextCursor).toBeNull();
      expect((await t.request('GET', '/v1/workspaces?q=', { token: w.admin.token })).status).toBe(400);
      expect(
        (await t.request('GET', `/v1/workspaces?q=${'x'.repeat(201)}`, { token: w.admin.token })).status,
      ).toBe(400);
    });
  });
});
