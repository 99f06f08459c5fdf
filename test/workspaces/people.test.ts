/**
 * People in a workspace (SPEC §7): a member keeps what its token last said of its holder (`name`,
 * `email`), and an owner invites a person by email; the first sign-in whose token carries that
 * email, verified, becomes the member the invitation describes. Over HTTP, on the database under test.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newObjectId } from '../../src/http/object-id.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from '../helpers/app.js';
import { createWorkspace, ok, type WorkspaceWorld } from './world.js';

describe('people in a workspace: names from tokens, invitations by email', () => {
  let t: TestApp;
  let w: WorkspaceWorld;
  let base: string;

  const members = async () =>
    (await ok(t.request('GET', `${base}/members?limit=100`, { token: w.owner.token }), 200)).members as {
      userId: string;
      name: string | null;
      email: string | null;
      role: string;
      permissions: string[];
    }[];
  const memberOf = async (userId: string) => (await members()).find((m) => m.userId === userId);
  const invite = (body: Record<string, unknown>, token = w.owner.token) =>
    t.request('POST', `${base}/invitations`, { token, body });
  /** A token whose email is not verified (an IdP that says so, or says nothing). */
  const unverifiedToken = (sub: string, email: string) =>
    new SignJWT({ email, email_verified: false })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));

  beforeAll(async () => {
    t = await startTestApp();
    w = await createWorkspace(t);
    base = `/v1/workspace/${w.workspaceId}`;
  });
  afterAll(() => t.close());

  it('a member keeps the name and email its token last carried; a token without them changes nothing', async () => {
    expect(await memberOf(w.staff.id)).toMatchObject({ name: null, email: null });
    const named = await t.token({ sub: w.staff.id, name: 'Grace Hopper', email: 'Grace@Example.com' });
    await ok(t.request('GET', `${base}/members`, { token: named }), 200);
    expect(await memberOf(w.staff.id)).toMatchObject({ name: 'Grace Hopper', email: 'grace@example.com' });

    await ok(t.request('GET', `${base}/members`, { token: w.staff.token }), 200);
    expect(await memberOf(w.staff.id)).toMatchObject({ name: 'Grace Hopper', email: 'grace@example.com' });

    const renamed = await t.token({ sub: w.staff.id, name: 'Grace B. Hopper' });
    await ok(t.request('GET', `${base}/members`, { token: renamed }), 200);
    expect(await memberOf(w.staff.id)).toMatchObject({ name: 'Grace B. Hopper', email: 'grace@example.com' });

    const me = await ok(t.request('GET', '/v1/me', { token: named }), 200);
    expect(me).toMatchObject({ name: 'Grace Hopper', email: 'grace@example.com', email_verified: true });
  });

  it('an invitation by email becomes a membership at the first sign-in with that verified email', async () => {
    const created = await invite({
      email: 'New.Hire@Clinic.example',
      role: 'staff',
      permissions: ['labs.run'],
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body.invitation).toMatchObject({
      workspaceId: w.workspaceId,
      email: 'new.hire@clinic.example',
      role: 'staff',
      permissions: ['labs.run'],
      invitedBy: w.owner.id,
    });
    const listed = await ok(t.request('GET', `${base}/invitations`, { token: w.owner.token }), 200);
    expect(listed.invitations.map((i: { email: string }) => i.email)).toEqual(['new.hire@clinic.example']);

    // The same email, not verified: no membership, the invitation stays.
    const sub = newObjectId();
    const unverified = await unverifiedToken(sub, 'new.hire@clinic.example');
    expect((await t.request('GET', `${base}/members`, { token: unverified })).status).toBe(403);
    expect((await ok(t.request('GET', '/v1/workspaces', { token: unverified }), 200)).workspaces).toEqual([]);

    // Verified: their workspace list shows it, and they are the member the invitation described.
    const token = await t.token({ sub, name: 'Nia Newhire', email: 'new.hire@clinic.example' });
    const theirs = await ok(t.request('GET', '/v1/workspaces', { token }), 200);
    expect(theirs.workspaces.map((x: { id: string }) => x.id)).toEqual([w.workspaceId]);
    expect(await memberOf(sub)).toMatchObject({
      name: 'Nia Newhire',
      email: 'new.hire@clinic.example',
      role: 'staff',
      permissions: ['labs.run'],
    });
    expect(
      (await ok(t.request('GET', `${base}/invitations`, { token: w.owner.token }), 200)).invitations,
    ).toEqual([]);
    // Claimed once: another person with the same email later finds no invitation.
    const other = await t.token({ sub: newObjectId(), email: 'new.hire@clinic.example' });
    expect((await t.request('GET', `${base}/members`, { token: other })).status).toBe(403);
  });

  it('the first request may be the workspace route itself', async () => {
    await ok(invite({ email: 'direct@clinic.example', role: 'owner' }));
    const sub = newObjectId();
    const token = await t.token({ sub, email: 'direct@clinic.example' });
    const res = await t.request('GET', `${base}/members`, { token });
    expect(res.status, res.text).toBe(200);
    expect(await memberOf(sub)).toMatchObject({ role: 'owner', email: 'direct@clinic.example' });
  });

  it('owners only; 409 for an email already invited or already a member’s; 400 for a bad email; withdrawn invitations cannot be claimed', async () => {
    expect((await invite({ email: 'x@clinic.example', role: 'staff' }, w.staff.token)).status).toBe(403);
    expect((await t.request('GET', `${base}/invitations`, { token: w.staff.token })).status).toBe(403);

    const bad = await invite({ email: 'not an email', role: 'staff' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('validation_error');

    await ok(invite({ email: 'twice@clinic.example', role: 'staff' }));
    const again = await invite({ email: 'TWICE@clinic.example', role: 'owner' });
    expect(again.status).toBe(409);
    expect(again.body.message).toBe('twice@clinic.example is already invited to this workspace.');
    // grace@example.com is the staff member's email from the first test.
    const member = await invite({ email: 'grace@example.com', role: 'staff' });
    expect(member.status).toBe(409);
    expect(member.body.error).toBe('conflict');

    const withdrawn = await ok(invite({ email: 'withdrawn@clinic.example', role: 'staff' }));
    const path = `${base}/invitations/${withdrawn.invitation.id}`;
    expect((await t.request('DELETE', path, { token: w.staff.token })).status).toBe(403);
    const gone = await t.request('DELETE', path, { token: w.owner.token });
    expect(gone.status, gone.text).toBe(200);
    expect(gone.body.invitation.email).toBe('withdrawn@clinic.example');
    expect((await t.request('DELETE', path, { token: w.owner.token })).status).toBe(404);
    const late = await t.token({ sub: newObjectId(), email: 'withdrawn@clinic.example' });
    expect((await t.request('GET', `${base}/members`, { token: late })).status).toBe(403);
  });

  it('an invitation of another workspace is not claimed here, and its ids are not this workspace’s', async () => {
    const other = await createWorkspace(t, w.admin);
    const elsewhere = await ok(
      t.request('POST', `/v1/workspace/${other.workspaceId}/invitations`, {
        token: other.owner.token,
        body: { email: 'elsewhere@clinic.example', role: 'staff' },
      }),
    );
    const token = await t.token({ sub: newObjectId(), email: 'elsewhere@clinic.example' });
    expect((await t.request('GET', `${base}/members`, { token })).status).toBe(403);
    expect(
      (await t.request('DELETE', `${base}/invitations/${elsewhere.invitation.id}`, { token: w.owner.token }))
        .status,
    ).toBe(404);
  });
});
