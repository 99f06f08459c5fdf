/**
 * Builds workspace-surface fixtures over HTTP, as a client would: a platform admin creates the
 * workspace and catalog, its owner adds staff, clients, referrals and coupons.
 */
import { expect } from 'vitest';
import { newObjectId } from '../../src/http/object-id.js';
import type { TestApp } from '../helpers/app.js';
import { PHI } from '../helpers/phi.js';

export interface Person {
  id: string;
  token: string;
}

export interface WorkspaceWorld {
  workspaceId: string;
  owner: Person;
  /** staff with labs.run and clients.write */
  staff: Person;
  /** staff without any permission */
  bareStaff: Person;
  /** a user who belongs to no workspace */
  outsider: Person;
  admin: Person;
  customer: Person;
}

export async function person(t: TestApp, persona?: 'admin' | 'customer'): Promise<Person> {
  const id = newObjectId();
  return { id, token: await t.token({ sub: id, ...(persona ? { persona } : {}) }) };
}

/** 2xx or fail with the body, so a broken fixture says why. */
export async function ok(
  promise: Promise<{ status: number; body: any; text: string }>,
  status = 201,
): Promise<any> {
  const res = await promise;
  expect(res.status, res.text).toBe(status);
  return res.body;
}

export async function createWorkspace(t: TestApp, admin?: Person): Promise<WorkspaceWorld> {
  const a = admin ?? (await person(t, 'admin'));
  const owner = await person(t);
  const { workspace } = await ok(
    t.request('POST', '/v1/workspaces', {
      token: a.token,
      body: { name: 'Northside Clinic', ownerUserId: owner.id },
    }),
  );
  const staff = await person(t);
  const bareStaff = await person(t);
  const base = `/v1/workspace/${workspace.id}`;
  await ok(
    t.request('POST', `${base}/members`, {
      token: owner.token,
      body: { userId: staff.id, role: 'staff', permissions: ['labs.run', 'clients.write'] },
    }),
  );
  await ok(
    t.request('POST', `${base}/members`, {
      token: owner.token,
      body: { userId: bareStaff.id, role: 'staff' },
    }),
  );
  return {
    workspaceId: workspace.id,
    owner,
    staff,
    bareStaff,
    outsider: await person(t),
    admin: a,
    customer: await person(t, 'customer'),
  };
}

export async function createCatalogTest(
  t: TestApp,
  admin: Person,
  testId: number,
  testTitle: string,
  price: number,
) {
  return (
    await ok(t.request('POST', '/v1/labs/tests', { token: admin.token, body: { testId, testTitle, price } }))
  ).labTest;
}

export async function createClient(t: TestApp, w: WorkspaceWorld, extra: Record<string, unknown> = {}) {
  const body = {
    firstName: PHI.firstName,
    lastName: PHI.lastName,
    email: PHI.email,
    dob: PHI.dob,
    phone: PHI.phone,
    ...extra,
  };
  return (
    await ok(t.request('POST', `/v1/workspace/${w.workspaceId}/clients`, { token: w.owner.token, body }))
  ).client;
}

export async function createReferral(t: TestApp, w: WorkspaceWorld, body: Record<string, unknown> = {}) {
  return (
    await ok(
      t.request('POST', `/v1/workspace/${w.workspaceId}/referrals`, {
        token: w.owner.token,
        body: { name: 'Dr. Example Referrer', ...body },
      }),
    )
  ).referral;
}

export async function createCoupon(t: TestApp, w: WorkspaceWorld, body: Record<string, unknown>) {
  return (
    await ok(t.request('POST', `/v1/workspace/${w.workspaceId}/labs/coupons`, { token: w.owner.token, body }))
  ).labCoupon;
}

export function visitBody(clientId: string, extra: Record<string, unknown> = {}) {
  return {
    clientId,
    labVisitType: 'in-lab',
    labTestIds: [101, 205],
    labVisitDate: '2036-01-10T12:00:00.000Z',
    ...extra,
  };
}

export function visitsPath(workspaceId: string): string {
  return `/v1/workspace/${workspaceId}/labs/visits`;
}
