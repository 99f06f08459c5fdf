/**
 * Who may change and remove members, edit and archive clients and referrals, rename workspaces
 * and search them: every route, on both paths, for every persona, answers the status of the
 * permission table in docs/workspace-lab-visits.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { PHI_CHANGED } from '../helpers/phi.js';
import {
  createClient,
  createReferral,
  createWorkspace,
  ok,
  person,
  type Person,
  type WorkspaceWorld,
} from './world.js';

type PersonaName = 'admin' | 'owner' | 'staffWithPermission' | 'staffWithout' | 'customer' | 'otherMember';

interface RouteCase {
  name: string;
  /** a fresh target for one call: the method, the path under the prefix, the body */
  prepare(): Promise<{ method: string; path: string; body?: unknown }>;
  expected: Record<PersonaName, number>;
}

describe('workspace changes: the permission table', () => {
  let t: TestApp;
  let w: WorkspaceWorld;
  let other: WorkspaceWorld;
  let personas: Record<PersonaName, Person>;

  beforeAll(async () => {
    t = await startTestApp();
    w = await createWorkspace(t);
    other = await createWorkspace(t, w.admin);
    personas = {
      admin: w.admin,
      owner: w.owner,
      // staff with every permission: for owner-only routes, "with permission" does not help
      staffWithPermission: w.staff,
      staffWithout: w.bareStaff,
      customer: w.customer,
      otherMember: other.owner,
    };
  });
  afterAll(() => t.close());

  const ws = () => `/workspace/${w.workspaceId}`;
  const ownerOnly = {
    admin: 403,
    owner: 200,
    staffWithPermission: 403,
    staffWithout: 403,
    customer: 403,
    otherMember: 403,
  };
  const clientsWrite = { ...ownerOnly, staffWithPermission: 200 };

  async function freshMember(): Promise<string> {
    const p = await person(t);
    await ok(
      t.request('POST', `/v1${ws()}/members`, {
        token: w.owner.token,
        body: { userId: p.id, role: 'staff' },
      }),
    );
    return p.id;
  }

  const routes: RouteCase[] = [
    {
      name: 'PATCH member',
      prepare: async () => ({
        method: 'PATCH',
        path: `${ws()}/members/${await freshMember()}`,
        body: { permissions: ['labs.run'] },
      }),
      expected: ownerOnly,
    },
    {
      name: 'DELETE member',
      prepare: async () => ({ method: 'DELETE', path: `${ws()}/members/${await freshMember()}` }),
      expected: ownerOnly,
    },
    {
      name: 'PATCH client',
      prepare: async () => ({
        method: 'PATCH',
        path: `${ws()}/clients/${(await createClient(t, w)).id}`,
        body: { email: PHI_CHANGED.email },
      }),
      expected: clientsWrite,
    },
    {
      name: 'DELETE client',
      prepare: async () => ({ method: 'DELETE', path: `${ws()}/clients/${(await createClient(t, w)).id}` }),
      expected: clientsWrite,
    },
    {
      name: 'PATCH referral',
      prepare: async () => ({
        method: 'PATCH',
        path: `${ws()}/referrals/${(await createReferral(t, w)).id}`,
        body: { notes: PHI_CHANGED.notes },
      }),
      expected: clientsWrite,
    },
    {
      name: 'DELETE referral',
      prepare: async () => ({
        method: 'DELETE',
        path: `${ws()}/referrals/${(await createReferral(t, w)).id}`,
      }),
      expected: clientsWrite,
    },
    {
      name: 'PATCH workspace',
      prepare: async () => ({
        method: 'PATCH',
        path: `/workspaces/${w.workspaceId}`,
        body: { name: 'Northside Clinic' },
      }),
      expected: { ...ownerOnly, admin: 200 },
    },
    {
      name: 'GET workspaces?q=',
      prepare: async () => ({ method: 'GET', path: '/workspaces?q=clinic' }),
      expected: {
        admin: 200,
        owner: 200,
        staffWithPermission: 200,
        staffWithout: 200,
        customer: 403,
        otherMember: 200,
      },
    },
  ];

  for (const prefix of ['/v1', '/api/v1']) {
    for (const route of routes) {
      it(`${route.name} under ${prefix}: each persona gets the table's status`, async () => {
        const got: Record<string, number> = {};
        for (const name of Object.keys(route.expected) as PersonaName[]) {
          const { method, path, body } = await route.prepare();
          const res = await t.request(method, `${prefix}${path}`, {
            token: personas[name].token,
            ...(body === undefined ? {} : { body }),
          });
          got[name] = res.status;
          if (res.status === 403) expect(res.body.error, `${name}: ${res.text}`).toBe('forbidden');
        }
        expect(got).toEqual(route.expected);
        const { method, path, body } = await route.prepare();
        const anonymous = await t.request(method, `${prefix}${path}`, body === undefined ? {} : { body });
        expect(anonymous.status).toBe(401);
      });
    }
  }

  it('the name search shows a member only their own workspaces, the admin every match', async () => {
    const search = async (who: Person, q: string) =>
      (
        await ok(
          t.request('GET', `/v1/workspaces?q=${encodeURIComponent(q)}&limit=200`, { token: who.token }),
          200,
        )
      ).workspaces.map((x: { id: string }) => x.id);
    expect(await search(w.admin, 'NORTHSIDE')).toEqual(
      expect.arrayContaining([w.workspaceId, other.workspaceId]),
    );
    expect(await search(other.owner, 'northside')).toEqual([other.workspaceId]);
    expect(await search(w.bareStaff, 'Northside')).toEqual([w.workspaceId]);
  });
});
