/**
 * API keys over HTTP: who may make them (and for what), using one wherever a JWT works, the key
 * shown once and stored only as a hash, expiry and revocation (refused at once, on another
 * instance too), last_used_at written at most once a minute. The CLI bootstrap is test/api-keys/cli.test.ts.
 */
import { createHash, randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys } from '../../src/api-keys/tables.js';
import { auditEvents } from '../../src/audit/tables.js';
import { rows } from '../../src/db/database.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { usingPostgres } from '../helpers/database.js';
import { BRAND, createOrder, orderBody, startLabStack, type LabStack } from '../helpers/lab-stack.js';

const OTHER_BRAND = 'brand-other';
const KEY = /^lk_[A-Za-z0-9_-]{43}$/;
/** Within the makers' token lifetime: a key expires no later than the credential making it. */
const IN_A_DAY = new Date(Math.floor(Date.now() / 1000) * 1000 + 86_400_000).toISOString();

describe('API keys', () => {
  let s: LabStack;
  let t: TestApp;
  let admin: string;
  /** lab-orders:admin (and read) for BRAND only */
  let brandAdmin: string;

  beforeAll(async () => {
    s = await startLabStack();
    t = s.t;
    admin = await t.token({ sub: 'platform-admin', persona: 'admin' });
    brandAdmin = await t.token({
      sub: 'svc-acme-admin',
      scope: 'lab-orders:admin lab-orders:read',
      brandIds: [BRAND],
    });
  });
  afterAll(() => s.close());

  const create = (token: string, body: Record<string, unknown>) =>
    t.request('POST', '/v1/api-keys', { token, body });
  async function makeKey(token: string, body: Record<string, unknown> = {}) {
    const res = await create(token, {
      name: 'orders backend',
      scopes: ['lab-orders:write', 'lab-orders:read'],
      brand_ids: [BRAND],
      ...body,
    });
    expect(res.status, res.text).toBe(201);
    return res.body.api_key as { id: string; key: string; prefix: string; [k: string]: unknown };
  }

  it('the platform admin makes a key for any brand: 201 with the key, shown there only', async () => {
    const res = await create(admin, {
      name: 'partner',
      scopes: ['lab-orders:read'],
      brand_ids: [OTHER_BRAND, BRAND],
      expires_at: IN_A_DAY,
    });
    expect(res.status, res.text).toBe(201);
    const made = res.body.api_key;
    expect(made).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'partner',
      prefix: made.key.slice(0, 11),
      scopes: ['lab-orders:read'],
      brand_ids: [OTHER_BRAND, BRAND],
      created_at: expect.any(String),
      expires_at: IN_A_DAY,
      last_used_at: null,
      revoked_at: null,
      key: expect.stringMatching(KEY),
    });
    const one = await t.request('GET', `/v1/api-keys/${made.id}`, { token: admin });
    expect(one.status).toBe(200);
    const { key, ...shown } = made;
    expect(one.body).toEqual({ api_key: shown });
    const list = await t.request('GET', '/v1/api-keys?limit=200', { token: admin });
    expect(list.body.data).toContainEqual(shown);
    for (const answer of [one.text, list.text]) {
      expect(answer).not.toContain(key);
      expect(answer).not.toContain(key.slice(11));
    }
  });

  it('only a SHA-256 of the key is stored; neither the key nor its secret part is in the database or a log line', async () => {
    const made = await makeKey(admin);
    const [row] = await t.database.db.select().from(apiKeys).where(eq(apiKeys.id, made.id));
    expect(row!.keyHash).toBe(createHash('sha256').update(made.key).digest('hex'));
    expect((await t.request('GET', '/v1/me', { token: made.key })).status).toBe(200);
    const secret = made.key.slice(11);
    const dump =
      JSON.stringify(await rows(t.database.db, sql`select * from api_keys`)) +
      JSON.stringify(await t.database.db.select().from(auditEvents));
    expect(dump).not.toContain(secret);
    expect(t.logs.join('\n')).not.toContain(secret);
  });

  it('a key works wherever a JWT does: principal key:<id> with its scopes and brands', async () => {
    const made = await makeKey(admin);
    const me = await t.request('GET', '/v1/me', { token: made.key });
    expect(me.status, me.text).toBe(200);
    expect(me.body).toEqual({
      sub: `key:${made.id}`,
      scopes: ['lab-orders:read', 'lab-orders:write'],
      brand_ids: [BRAND],
      persona: null,
      name: null,
      email: null,
      email_verified: false,
    });
    const order = await createOrder(s, orderBody(), undefined, made.key);
    expect(order.status, order.text).toBe(201);
    expect((await t.request('GET', `/v1/lab-orders/${order.body.id}`, { token: made.key })).status).toBe(200);
    const elsewhere = await createOrder(s, orderBody({ brand_id: OTHER_BRAND }), undefined, made.key);
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.error).toBe('brand_forbidden');
    const noAdmin = await t.request('PUT', `/v1/brands/${BRAND}/panels/pcos`, {
      token: made.key,
      body: { lab_test_id: 'x' },
    });
    expect(noAdmin.status).toBe(403);
    expect(noAdmin.body.error).toBe('insufficient_scope');
    // workspace routes: a key is nobody's membership
    expect((await t.request('GET', '/v1/workspaces', { token: made.key })).status).toBe(200);
  });

  it('a lab-orders:admin caller makes keys only for its brands and with scopes it has', async () => {
    const ok = await create(brandAdmin, { name: 'reader', scopes: ['lab-orders:read'], brand_ids: [BRAND] });
    expect(ok.status, ok.text).toBe(201);
    const otherBrand = await create(brandAdmin, {
      name: 'x',
      scopes: ['lab-orders:read'],
      brand_ids: [BRAND, OTHER_BRAND],
    });
    expect(otherBrand.status).toBe(403);
    expect(otherBrand.body).toEqual({
      error: 'brand_forbidden',
      message: `This token may not act for brand "${OTHER_BRAND}".`,
    });
    const moreScope = await create(brandAdmin, {
      name: 'x',
      scopes: ['lab-orders:write'],
      brand_ids: [BRAND],
    });
    expect(moreScope.status).toBe(403);
    expect(moreScope.body.error).toBe('insufficient_scope');
    // and a key with lab-orders:admin may in turn make keys within what it holds
    const adminKey = (
      await create(brandAdmin, {
        name: 'ops',
        scopes: ['lab-orders:admin', 'lab-orders:read'],
        brand_ids: [BRAND],
      })
    ).body.api_key;
    expect(
      (await create(adminKey.key, { name: 'child', scopes: ['lab-orders:read'], brand_ids: [BRAND] })).status,
    ).toBe(201);
    expect(
      (await create(adminKey.key, { name: 'child', scopes: ['lab-orders:write'], brand_ids: [BRAND] }))
        .status,
    ).toBe(403);
    const count = await rows(t.database.db, sql`select count(*)::int as n from api_keys where name = 'x'`);
    expect(count).toEqual([{ n: 0 }]);
  });

  it('403 for callers who manage no keys (before the body is read); 401 without a token', async () => {
    const writer = await t.token({
      sub: 'svc-w',
      scope: 'lab-orders:write lab-orders:read',
      brandIds: [BRAND],
    });
    const customer = await t.token({ sub: 'someone', persona: 'customer' });
    for (const token of [writer, customer]) {
      for (const [method, url] of [
        ['POST', '/v1/api-keys'],
        ['GET', '/v1/api-keys'],
        ['GET', `/v1/api-keys/${randomUUID()}`],
        ['DELETE', `/v1/api-keys/${randomUUID()}`],
      ] as const) {
        const res = await t.request(method, url, {
          token,
          ...(method === 'POST' ? { body: { nonsense: true } } : {}),
        });
        expect(res.status, `${method} ${url}`).toBe(403);
        expect(res.body.error).toBe('insufficient_scope');
      }
    }
    expect((await t.request('GET', '/v1/api-keys')).status).toBe(401);
  });

  it("a brand's admin sees, reads and revokes only keys all of whose brands it holds (others are 404)", async () => {
    const mine = await makeKey(brandAdmin, { scopes: ['lab-orders:read'] });
    const theirs = await makeKey(admin, { brand_ids: [OTHER_BRAND] });
    const both = await makeKey(admin, { brand_ids: [BRAND, OTHER_BRAND] });
    const listed = (await t.request('GET', '/v1/api-keys?limit=200', { token: brandAdmin })).body.data.map(
      (k: { id: string }) => k.id,
    );
    expect(listed).toContain(mine.id);
    expect(listed).not.toContain(theirs.id);
    expect(listed).not.toContain(both.id);
    for (const id of [theirs.id, both.id]) {
      expect((await t.request('GET', `/v1/api-keys/${id}`, { token: brandAdmin })).body).toEqual({
        error: 'not_found',
        message: `No API key ${id}.`,
      });
      expect((await t.request('DELETE', `/v1/api-keys/${id}`, { token: brandAdmin })).status).toBe(404);
    }
    expect((await t.request('GET', '/v1/me', { token: theirs.key })).status).toBe(200);
  });

  it('pages newest first with a cursor', async () => {
    const made = [
      await makeKey(admin, { name: 'page-1' }),
      await makeKey(admin, { name: 'page-2' }),
      await makeKey(admin, { name: 'page-3' }),
    ];
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
      const page = await t.request('GET', `/v1/api-keys${query}`, { token: admin });
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((k: { id: string }) => k.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    const ours = seen.filter((id) => made.some((m) => m.id === id));
    expect(ours).toEqual(made.map((m) => m.id).reverse());
    expect(new Set(seen).size).toBe(seen.length);
    expect((await t.request('GET', '/v1/api-keys?cursor=bogus', { token: admin })).body.error).toBe(
      'invalid_cursor',
    );
  });

  it('400 for a body that fails the schema, an expiry in the past, a malformed id', async () => {
    const base = { name: 'x', scopes: ['lab-orders:read'], brand_ids: [BRAND] };
    for (const body of [
      {},
      { ...base, name: '' },
      { ...base, name: 'n'.repeat(101) },
      { ...base, scopes: [] },
      { ...base, scopes: ['lab-orders:everything'] },
      { ...base, scopes: ['lab-orders:read', 'lab-orders:read'] },
      { ...base, brand_ids: [] },
      { ...base, brand_ids: [''] },
      { ...base, expires_at: 'tomorrow' },
      { ...base, expires_at: '2001-01-01T00:00:00Z' },
      { ...base, key: 'lk_mine' },
    ]) {
      const res = await create(admin, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error).toBe('validation_error');
    }
    expect((await t.request('GET', '/v1/api-keys/not-a-uuid', { token: admin })).status).toBe(400);
  });

  it('401 for a key that is malformed, unknown or expired, saying which', async () => {
    for (const bad of ['lk_short', `lk_${'A'.repeat(43)}`]) {
      const res = await t.request('GET', '/v1/me', { token: bad });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: 'unauthenticated', message: 'The API key is not valid.' });
    }
    const made = await makeKey(admin, { expires_at: IN_A_DAY });
    expect((await t.request('GET', '/v1/me', { token: made.key })).status).toBe(200);
    await t.database.db
      .update(apiKeys)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(apiKeys.id, made.id));
    const expired = await t.request('GET', '/v1/me', { token: made.key });
    expect(expired.status).toBe(401);
    expect(expired.body.message).toBe('The API key has expired.');
  });

  it('a revoked key is refused from its next request on, on this instance and another one', async () => {
    const made = await makeKey(brandAdmin, { scopes: ['lab-orders:read'] });
    const replica = usingPostgres
      ? await startTestApp({ databaseUrl: (t.config.database as { url: string }).url, sim: t.sim })
      : null;
    try {
      const instances = replica ? [t, replica] : [t];
      for (const app of instances)
        expect((await app.request('GET', '/v1/lab-orders', { token: made.key })).status).toBe(200);
      const revoked = await t.request('DELETE', `/v1/api-keys/${made.id}`, { token: brandAdmin });
      expect(revoked.status, revoked.text).toBe(200);
      expect(revoked.body.api_key).toMatchObject({ id: made.id, revoked_at: expect.any(String) });
      expect(revoked.text).not.toContain(made.key);
      for (const app of instances) {
        const res = await app.request('GET', '/v1/lab-orders', { token: made.key });
        expect(res.status).toBe(401);
        expect(res.body.message).toBe('The API key has been revoked.');
      }
      const again = await t.request('DELETE', `/v1/api-keys/${made.id}`, { token: brandAdmin });
      expect(again.body.api_key.revoked_at).toBe(revoked.body.api_key.revoked_at);
      const audited = await t.database.db
        .select()
        .from(auditEvents)
        .where(eq(auditEvents.resourceId, made.id))
        .orderBy(auditEvents.id);
      expect(audited.map((r) => [r.action, r.actor])).toEqual([
        ['create', 'svc-acme-admin'],
        ['delete', 'svc-acme-admin'],
      ]);
    } finally {
      await replica?.close();
    }
  });

  it('last_used_at is written on first use and then at most once a minute', async () => {
    const made = await makeKey(admin);
    const lastUsed = async () =>
      (await t.request('GET', `/v1/api-keys/${made.id}`, { token: admin })).body.api_key.last_used_at as
        string | null;
    expect(await lastUsed()).toBeNull();
    await t.request('GET', '/v1/me', { token: made.key });
    const first = await lastUsed();
    expect(first).toEqual(expect.any(String));
    await t.request('GET', '/v1/me', { token: made.key });
    expect(await lastUsed()).toBe(first);
    const twoMinutesAgo = new Date(Date.parse(first!) - 120_000);
    await t.database.db.update(apiKeys).set({ lastUsedAt: twoMinutesAgo }).where(eq(apiKeys.id, made.id));
    await t.request('GET', '/v1/me', { token: made.key });
    expect(Date.parse((await lastUsed())!)).toBeGreaterThan(twoMinutesAgo.getTime() + 60_000);
  });

  it('documents the API key security scheme, and the key only in the create answer', async () => {
    const doc = (await t.request('GET', '/openapi.json')).body;
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ bearerAuth: [] }, { apiKey: [] }]);
    const created = doc.paths['/v1/api-keys'].post.responses['201'].content['application/json'].schema;
    expect(created.properties.api_key.properties.key).toBeDefined();
    const read = doc.paths['/v1/api-keys/{id}'].get.responses['200'].content['application/json'].schema;
    expect(read.properties.api_key.properties.key).toBeUndefined();
  });
});
