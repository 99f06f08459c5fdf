/**
 * Webhook endpoints over HTTP on both surfaces: create (secret shown once), list, get, patch,
 * delete, rotate-secret; who may do what; the URL rules of production mode.
 */
import { Value } from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClinicalEndpoint, WorkspaceEndpoint } from '../../src/webhooks/schemas.js';
import { checkWebhookUrl } from '../../src/webhooks/url-safety.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { usingPostgres } from '../helpers/database.js';
import { createWorkspace, ok, type WorkspaceWorld } from '../workspaces/world.js';

const ADMIN = 'lab-orders:admin lab-orders:read';

describe('webhook endpoints', () => {
  let t: TestApp;
  let brandA: string;
  let brandB: string;
  let w: WorkspaceWorld;
  let other: WorkspaceWorld;

  beforeAll(async () => {
    t = await startTestApp();
    brandA = await t.token({ sub: 'svc-a', scope: ADMIN, brandIds: ['brand-a'] });
    brandB = await t.token({ sub: 'svc-b', scope: ADMIN, brandIds: ['brand-b'] });
    w = await createWorkspace(t);
    other = await createWorkspace(t);
  });
  afterAll(() => t.close());

  const create = (body: unknown, token = brandA) =>
    t.request('POST', '/v1/webhook-endpoints', { token, body });
  const wsBase = (id = w.workspaceId, prefix = '/v1') => `${prefix}/workspace/${id}/webhook-endpoints`;

  describe('clinical surface', () => {
    it('creates an endpoint: 201 {webhook_endpoint} with the whsec_ secret once, all clinical types by default', async () => {
      const res = await create({
        url: 'http://127.0.0.1:9/hooks',
        brand_id: 'brand-a',
        description: 'orders feed',
      });
      expect(res.status, res.text).toBe(201);
      const ep = res.body.webhook_endpoint;
      expect(Value.Check(ClinicalEndpoint, ep)).toBe(true);
      expect(ep).toMatchObject({
        url: 'http://127.0.0.1:9/hooks',
        brand_id: 'brand-a',
        events: ['lab_order.created', 'lab_order.status_changed', 'lab_order.rejected'],
        description: 'orders feed',
        enabled: true,
        disabled_reason: null,
      });
      expect(ep.id).toMatch(/^ep_[0-9a-f]{24}$/);
      expect(ep.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

      const read = await t.request('GET', `/v1/webhook-endpoints/${ep.id}`, { token: brandA });
      expect(read.status).toBe(200);
      expect(read.body.webhook_endpoint).toEqual({ ...ep, secret: undefined, updated_at: ep.updated_at });
      expect(read.text).not.toContain(ep.secret);
      expect(read.body.webhook_endpoint).not.toHaveProperty('secret');
      const list = await t.request('GET', '/v1/webhook-endpoints', { token: brandA });
      expect(list.text).not.toContain('whsec_');
    });

    it('lists only the token’s brands, keyset-paginated; another brand’s endpoint is 404 to every route', async () => {
      const mine: string[] = [];
      for (let i = 0; i < 3; i++) {
        mine.push(
          (await ok(create({ url: `http://127.0.0.1:9/list-${i}`, brand_id: 'brand-a' }))).webhook_endpoint
            .id,
        );
      }
      const theirs = (await ok(create({ url: 'http://127.0.0.1:9/b', brand_id: 'brand-b' }, brandB)))
        .webhook_endpoint.id;
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: { data: { id: string; brand_id: string }[]; next_cursor: string | null } } =
          await t.request('GET', `/v1/webhook-endpoints?limit=2${cursor ? `&cursor=${cursor}` : ''}`, {
            token: brandA,
          });
        expect(page.body.data.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.data.map((e) => e.id));
        expect(page.body.data.every((e) => e.brand_id === 'brand-a')).toBe(true);
        cursor = page.body.next_cursor;
      } while (cursor);
      expect(seen).toEqual(expect.arrayContaining(mine));
      expect(seen).not.toContain(theirs);
      expect(seen).toEqual([...seen].sort());

      for (const [method, path, body] of [
        ['GET', '', undefined],
        ['PATCH', '', { enabled: false }],
        ['DELETE', '', undefined],
        ['POST', '/rotate-secret', undefined],
        ['GET', '/deliveries', undefined],
      ] as const) {
        const res = await t.request(method, `/v1/webhook-endpoints/${theirs}${path}`, {
          token: brandA,
          body,
        });
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(res.body.error).toBe('not_found');
      }
      expect((await t.request('GET', `/v1/webhook-endpoints/${theirs}`, { token: brandB })).status).toBe(200);
      expect(
        (await t.request('GET', '/v1/webhook-endpoints?brand_id=brand-b', { token: brandA })).body.error,
      ).toBe('brand_forbidden');
    });

    it('refuses a brand the token may not act for (403), a token without lab-orders:admin (403), bad bodies (400)', async () => {
      expect((await create({ url: 'http://127.0.0.1:9/x', brand_id: 'brand-b' })).body.error).toBe(
        'brand_forbidden',
      );
      const reader = await t.token({
        sub: 'svc-r',
        scope: 'lab-orders:read lab-orders:write',
        brandIds: ['brand-a'],
      });
      const res = await create({ url: 'http://127.0.0.1:9/x', brand_id: 'brand-a' }, reader);
      expect(res.status).toBe(403);
      expect(res.body.error).toBe('insufficient_scope');
      expect((await t.request('GET', '/v1/webhook-endpoints', { token: reader })).status).toBe(403);
      for (const body of [
        { url: 'http://127.0.0.1:9/x', brand_id: 'brand-a', events: ['lab_visit.created'] },
        { url: 'http://127.0.0.1:9/x', brand_id: 'brand-a', events: [] },
        { url: 'http://127.0.0.1:9/x', brand_id: 'brand-a', description: 'x'.repeat(501) },
        { url: 'http://127.0.0.1:9/x', brand_id: 'brand-a', extra: 1 },
        { brand_id: 'brand-a' },
      ]) {
        const bad = await create(body);
        expect(bad.status, JSON.stringify(body)).toBe(400);
        expect(bad.body.error).toBe('validation_error');
      }
      for (const url of [
        'ftp://example.com/x',
        'not a url',
        'http://user:pw@127.0.0.1/x',
        `http://127.0.0.1/${'a'.repeat(2048)}`,
      ]) {
        const bad = await create({ url, brand_id: 'brand-a' });
        expect(bad.status, url).toBe(400);
        expect(['invalid_webhook_url', 'validation_error']).toContain(bad.body.error);
      }
      expect((await create({ url: 'ftp://example.com/x', brand_id: 'brand-a' })).body).toEqual({
        error: 'invalid_webhook_url',
        message: 'The webhook URL is not accepted: The URL must be http or https.',
        details: [{ path: '/url', message: 'The URL must be http or https.' }],
      });
    });

    it('PATCH changes url, events, description and enabled; disabling by hand says so, enabling clears it', async () => {
      const ep = (await ok(create({ url: 'http://127.0.0.1:9/p', brand_id: 'brand-a' }))).webhook_endpoint;
      const path = `/v1/webhook-endpoints/${ep.id}`;
      const patched = await t.request('PATCH', path, {
        token: brandA,
        body: {
          url: 'http://127.0.0.1:9/q',
          events: ['lab_order.rejected'],
          description: null,
          enabled: false,
        },
      });
      expect(patched.status, patched.text).toBe(200);
      expect(patched.body.webhook_endpoint).toMatchObject({
        url: 'http://127.0.0.1:9/q',
        events: ['lab_order.rejected'],
        description: null,
        enabled: false,
        disabled_reason: 'Disabled by a PATCH request.',
      });
      expect(patched.body.webhook_endpoint.disabled_at).toEqual(expect.any(String));
      const enabled = await t.request('PATCH', path, { token: brandA, body: { enabled: true } });
      expect(enabled.body.webhook_endpoint).toMatchObject({
        enabled: true,
        disabled_reason: null,
        disabled_at: null,
      });
      expect((await t.request('PATCH', path, { token: brandA, body: {} })).status).toBe(400);
      expect(
        (await t.request('PATCH', path, { token: brandA, body: { url: 'gopher://x' } })).body.error,
      ).toBe('invalid_webhook_url');
      expect((await t.request('DELETE', path, { token: brandA })).status).toBe(204);
      expect((await t.request('GET', path, { token: brandA })).status).toBe(404);
      expect((await t.request('DELETE', path, { token: brandA })).status).toBe(404);
      expect((await t.request('GET', '/v1/webhook-endpoints/nonsense', { token: brandA })).status).toBe(404);
    });

    it('rotate-secret shows a new secret once and keeps the old one signing for 24 hours', async () => {
      const ep = (await ok(create({ url: 'http://127.0.0.1:9/r', brand_id: 'brand-a' }))).webhook_endpoint;
      const before = Date.now();
      const res = await t.request('POST', `/v1/webhook-endpoints/${ep.id}/rotate-secret`, { token: brandA });
      expect(res.status).toBe(200);
      const rotated = res.body.webhook_endpoint;
      expect(rotated.secret).toMatch(/^whsec_/);
      expect(rotated.secret).not.toBe(ep.secret);
      const expires = Date.parse(rotated.previous_secret_expires_at);
      expect(expires).toBeGreaterThanOrEqual(before + 24 * 3600_000 - 1000);
      expect(expires).toBeLessThanOrEqual(Date.now() + 24 * 3600_000 + 1000);
      const read = await t.request('GET', `/v1/webhook-endpoints/${ep.id}`, { token: brandA });
      expect(read.text).not.toContain('whsec_');
    });

    it('a brand has at most 20 endpoints (409 webhook_endpoint_limit)', async () => {
      const token = await t.token({ sub: 'svc-c', scope: ADMIN, brandIds: ['brand-c'] });
      for (let i = 0; i < 20; i++)
        await ok(create({ url: `http://127.0.0.1:9/${i}`, brand_id: 'brand-c' }, token));
      const res = await create({ url: 'http://127.0.0.1:9/21', brand_id: 'brand-c' }, token);
      expect(res.status).toBe(409);
      expect(res.body.error).toBe('webhook_endpoint_limit');
    });
  });

  describe('workspace surface', () => {
    it('the owner creates one: 201 {webhookEndpoint}, camelCase, secret once, all lab visit types by default; also under /api/v1', async () => {
      const res = await t.request('POST', wsBase(), {
        token: w.owner.token,
        body: { url: 'http://127.0.0.1:9/ws' },
      });
      expect(res.status, res.text).toBe(201);
      const ep = res.body.webhookEndpoint;
      expect(Value.Check(WorkspaceEndpoint, ep)).toBe(true);
      expect(ep).toMatchObject({
        workspaceId: w.workspaceId,
        events: ['lab_visit.created', 'lab_visit.updated', 'lab_visit.results_added', 'lab_visit.deleted'],
        enabled: true,
        disabledReason: null,
        description: null,
      });
      expect(ep.secret).toMatch(/^whsec_/);
      const viaApi = await t.request('GET', `${wsBase(w.workspaceId, '/api/v1')}/${ep.id}`, {
        token: w.owner.token,
      });
      expect(viaApi.status).toBe(200);
      expect(viaApi.body.webhookEndpoint).not.toHaveProperty('secret');
      const list = await t.request('GET', wsBase(), { token: w.owner.token });
      expect(list.body.webhookEndpoints.map((e: { id: string }) => e.id)).toContain(ep.id);
      expect(list.body.nextCursor).toBeNull();
      const rotated = await t.request('POST', `${wsBase()}/${ep.id}/rotate-secret`, { token: w.owner.token });
      expect(rotated.body.webhookEndpoint.secret).toMatch(/^whsec_/);
      expect(rotated.body.webhookEndpoint.previousSecretExpiresAt).toEqual(expect.any(String));
      const patched = await t.request('PATCH', `${wsBase()}/${ep.id}`, {
        token: w.owner.token,
        body: { events: ['lab_visit.deleted'], enabled: false },
      });
      expect(patched.body.webhookEndpoint).toMatchObject({ events: ['lab_visit.deleted'], enabled: false });
      const deliveries = await t.request('GET', `${wsBase()}/${ep.id}/deliveries?status=failed`, {
        token: w.owner.token,
      });
      expect(deliveries.body).toEqual({ webhookDeliveries: [], nextCursor: null });
      expect((await t.request('DELETE', `${wsBase()}/${ep.id}`, { token: w.owner.token })).status).toBe(204);
    });

    it('staff cannot manage endpoints (403); another workspace’s owner gets 404 for its endpoints; clinical events are refused', async () => {
      const ep = (
        await ok(t.request('POST', wsBase(), { token: w.owner.token, body: { url: 'http://127.0.0.1:9/s' } }))
      ).webhookEndpoint;
      for (const [method, path] of [
        ['POST', ''],
        ['GET', ''],
        ['GET', `/${ep.id}`],
        ['PATCH', `/${ep.id}`],
        ['DELETE', `/${ep.id}`],
        ['POST', `/${ep.id}/rotate-secret`],
        ['GET', `/${ep.id}/deliveries`],
      ] as const) {
        const body =
          method === 'PATCH'
            ? { enabled: false }
            : method === 'POST' && path === ''
              ? { url: 'http://127.0.0.1:9/x' }
              : undefined;
        const res = await t.request(method, `${wsBase()}${path}`, { token: w.staff.token, body });
        expect(res.status, `${method} ${path}`).toBe(403);
      }
      const cross = await t.request('GET', `${wsBase(other.workspaceId)}/${ep.id}`, {
        token: other.owner.token,
      });
      expect(cross.status).toBe(404);
      const crossDelete = await t.request('DELETE', `${wsBase(other.workspaceId)}/${ep.id}`, {
        token: other.owner.token,
      });
      expect(crossDelete.status).toBe(404);
      expect((await t.request('GET', `${wsBase()}/${ep.id}`, { token: w.owner.token })).status).toBe(200);
      expect((await t.request('GET', wsBase(), { token: w.admin.token })).status).toBe(403);
      // A clinical token has no business here, and a workspace endpoint is invisible to the clinical surface.
      expect((await t.request('GET', `/v1/webhook-endpoints/${ep.id}`, { token: brandA })).status).toBe(404);
      const wrongType = await t.request('POST', wsBase(), {
        token: w.owner.token,
        body: { url: 'http://127.0.0.1:9/x', events: ['lab_order.created'] },
      });
      expect(wrongType.status).toBe(400);
    });
  });
});

describe('webhook URLs in production mode', () => {
  let t: TestApp;
  let token: string;
  let owner: string;
  let workspaceId: string;
  beforeAll(async () => {
    // Production mode needs a PostgreSQL server; on PGlite its two rules are set directly.
    t = await startTestApp(
      usingPostgres
        ? { env: { NODE_ENV: 'production', WEBHOOK_ALLOW_PRIVATE_URLS: '0' } }
        : {
            config: (c) => ({ ...c, production: true, webhooks: { ...c.webhooks, allowPrivateUrls: false } }),
          },
    );
    expect(t.config.production).toBe(true);
    expect(t.config.webhooks.allowPrivateUrls).toBe(false);
    token = await t.token({ sub: 'svc-a', scope: ADMIN, brandIds: ['brand-a'] });
    const w = await createWorkspace(t);
    owner = w.owner.token;
    workspaceId = w.workspaceId;
  });
  afterAll(() => t.close());

  it.each([
    ['http://example.com/hooks', /must use https/],
    ['https://127.0.0.1/hooks', /non-public/],
    ['https://10.0.0.1/hooks', /non-public/],
    ['https://[::1]/hooks', /non-public/],
    ['https://169.254.169.254/latest/meta-data', /non-public/],
    ['https://localhost/hooks', /non-public/],
    ['https://[::ffff:127.0.0.1]/hooks', /non-public/],
    ['https://2130706433/hooks', /non-public/],
    ['https://192.168.1.10/hooks', /non-public/],
    ['https://100.64.0.1/hooks', /non-public/],
    ['https://[fd00::1]/hooks', /non-public/],
    ['https://0.0.0.0/hooks', /non-public/],
  ])('%s is refused with 400 invalid_webhook_url on both surfaces', async (url, reason) => {
    const res = await t.request('POST', '/v1/webhook-endpoints', {
      token,
      body: { url, brand_id: 'brand-a' },
    });
    expect(res.status, res.text).toBe(400);
    expect(res.body.error).toBe('invalid_webhook_url');
    expect(res.body.message).toMatch(reason);
    const ws = await t.request('POST', `/v1/workspace/${workspaceId}/webhook-endpoints`, {
      token: owner,
      body: { url },
    });
    expect(ws.status).toBe(400);
    expect(ws.body.error).toBe('invalid_webhook_url');
  });

  it('a public https address is accepted', async () => {
    const res = await t.request('POST', '/v1/webhook-endpoints', {
      token,
      body: { url: 'https://93.184.215.14/hooks', brand_id: 'brand-a' },
    });
    expect(res.status, res.text).toBe(201);
  });
});

describe('WEBHOOK_ALLOW_PRIVATE_URLS in production mode (docs/webhooks.md, "Receivers on your machine")', () => {
  // The policy buildApp derives from NODE_ENV=production and WEBHOOK_ALLOW_PRIVATE_URLS=1.
  const policy = { requireHttps: true, allowPrivate: true };
  it('allows a loopback or private https receiver, never http', async () => {
    for (const url of [
      'https://127.0.0.1:4443/hooks',
      'https://localhost:4443/hooks',
      'https://10.0.0.1/hooks',
    ])
      expect((await checkWebhookUrl(url, policy)).url.href).toBe(url);
    for (const url of ['http://127.0.0.1:4000/hooks', 'http://10.0.0.1/hooks', 'http://example.com/hooks'])
      await expect(checkWebhookUrl(url, policy)).rejects.toThrow(/must use https/);
  });
});
