import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import http from 'node:http';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';

describe('service foundation over HTTP', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp({
      extend(app) {
        app.post(
          '/test/echo',
          {
            config: { scope: 'test:write' },
            schema: { body: Type.Object({ name: Type.String({ minLength: 1 }) }) },
          },
          async (request) => ({ got: request.body.name }),
        );
        app.get('/test/boom', async () => {
          throw new Error('secret internal detail');
        });
      },
    });
    token = await t.token({ sub: 'client-1', scope: 'test:write' });
  });
  afterAll(() => t.close());

  describe('health and operations', () => {
    it('answers /healthz and /readyz without a token', async () => {
      expect((await t.request('GET', '/healthz')).body).toEqual({ status: 'ok' });
      const ready = await t.request('GET', '/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({ status: 'ready' });
    });

    it('honours a well-formed x-request-id and echoes it; makes one otherwise', async () => {
      const given = await t.request('GET', '/healthz', { headers: { 'x-request-id': 'req-abc.123' } });
      expect(given.headers.get('x-request-id')).toBe('req-abc.123');
      const bad = await t.request('GET', '/healthz', { headers: { 'x-request-id': 'bad id\twith spaces' } });
      expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(t.logs.some((l) => l.includes('"request_id":"req-abc.123"'))).toBe(true);
    });

    it('exposes Prometheus metrics with the request histogram by route and status', async () => {
      await t.request('GET', '/healthz');
      const res = await t.request('GET', '/metrics');
      expect(res.status).toBe(200);
      expect(res.text).toMatch(
        /http_request_duration_seconds_count\{method="GET",route="\/healthz",status_code="200"\} \d+/,
      );
      expect(res.text).toContain('db_pool_connections');
    });

    it('serves an OpenAPI 3.1 document and the interactive reference page', async () => {
      const doc = await t.request('GET', '/openapi.json');
      expect(doc.status).toBe(200);
      expect(doc.body.openapi).toBe('3.1.0');
      expect(doc.body.paths['/v1/me'].get.operationId).toBe('getCurrentPrincipal');
      expect(doc.body.components.securitySchemes.bearerAuth.scheme).toBe('bearer');
      // Both contracts, with their operation ids; the Idempotency-Key header as each route treats it.
      const create = doc.body.paths['/v1/lab-orders'].post;
      expect(create.operationId).toBe('createLabOrder');
      expect(create.parameters).toContainEqual(
        expect.objectContaining({ in: 'header', name: 'idempotency-key', required: true }),
      );
      const visit = doc.body.paths['/v1/workspace/{workspaceId}/labs/visits'].post;
      expect(visit.operationId).toBe('createLabVisit');
      expect(visit.parameters).toContainEqual(
        expect.objectContaining({ in: 'header', name: 'idempotency-key', required: false }),
      );
      expect(create.responses['502'].content['application/json'].schema.required).toEqual([
        'error',
        'message',
      ]);
      const page = await t.request('GET', '/docs');
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(page.text).toContain('/openapi.json');
      // It says it is loading until its script has mounted (test/browser/docs.test.ts), and fetches
      // the document alongside the script.
      expect(page.text).toContain('Loading the API reference…');
      expect(page.text).toContain('<link rel="preload" href="/openapi.json" as="fetch"');
      // Not signed in outside demo mode.
      expect(page.text).not.toMatch(/"token"\s*:/);
      // The care /console gets: no framing by another site, scripts only from here or by this
      // answer's nonce, requests only to this origin.
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).toContain("object-src 'none'");
      const nonce = /script-src 'self' 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
      expect(nonce).toBeDefined();
      const scripts = page.text.match(/<script[^>]*>/g) ?? [];
      expect(scripts.length).toBeGreaterThan(0);
      for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      const again = await t.request('GET', '/docs');
      expect(again.headers.get('content-security-policy')).not.toBe(csp);
    });

    it('gives the reference what "try it" needs: the server, examples from the demo, a fresh Idempotency-Key, enums', async () => {
      const [first, second] = await Promise.all([
        t.request('GET', '/openapi.json'),
        t.request('GET', '/openapi.json'),
      ]);
      const doc = first.body;
      expect(doc.servers).toEqual([expect.objectContaining({ url: t.baseUrl })]);
      // Without TRUST_PROXY, a client cannot name another server by X-Forwarded-* headers.
      const forwarded = await t.request('GET', '/openapi.json', {
        headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' },
      });
      expect(forwarded.body.servers).toEqual([expect.objectContaining({ url: t.baseUrl })]);
      const create = doc.paths['/v1/lab-orders'].post;
      const key = (d: any) =>
        d.paths['/v1/lab-orders'].post.parameters.find((p: any) => p.name === 'idempotency-key').example;
      expect(key(first.body)).toMatch(/^[0-9a-f-]{36}$/);
      expect(key(second.body)).not.toBe(key(first.body));
      expect(create.requestBody.content['application/json'].example).toMatchObject({
        brand_id: 'demo-brand',
        patient_id: '8f14e45f-ceea-467f-a9d5-6b2f1c3e9a10',
      });
      const visit = doc.paths['/v1/workspace/{workspaceId}/labs/visits'].post;
      expect(visit.parameters.find((p: any) => p.name === 'workspaceId').example).toBe(
        '65a000000000000000000001',
      );
      expect(visit.requestBody.content['application/json'].example).toMatchObject({
        labCouponCode: 'WINTER10',
        labTestIds: [101, 205],
      });
      // Status shows its values, not just "string".
      const status201 = create.responses['201'].content['application/json'].schema.properties.status;
      expect(status201).toMatchObject({
        type: 'string',
        enum: ['received', 'collecting_sample', 'sample_with_lab', 'completed', 'cancelled', 'failed'],
      });
      const listStatus = doc.paths['/v1/lab-orders'].get.parameters.find((p: any) => p.name === 'status');
      expect(listStatus.schema.enum).toContain('submitting');
      const visitStatus =
        visit.responses['201'].content['application/json'].schema.properties.labVisit.properties
          .labVisitStatus;
      expect(visitStatus).toMatchObject({
        type: 'string',
        enum: expect.arrayContaining(['pending', 'completed']),
      });
    });
  });

  describe('authentication', () => {
    it('401 without a token, with a malformed one, and with a bad signature', async () => {
      for (const authorization of [undefined, 'Bearer', 'Basic abc', 'Bearer not.a.jwt']) {
        const res = await t.request('GET', '/v1/me', authorization ? { headers: { authorization } } : {});
        expect(res.status).toBe(401);
        expect(res.body.error).toBe('unauthenticated');
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
      }
      const forged = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('x')
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode('another-secret-another-secret-another-secret'));
      const refused = await t.request('GET', '/v1/me', { token: forged });
      expect(refused.status).toBe(401);
      // Which check failed, so that a token minted with another secret is recognised as such; no secret.
      expect(refused.body.message).toBe(
        "The bearer token's signature does not verify: it was signed with another secret or key than this service's (AUTH_JWT_SECRET, AUTH_JWKS_URL).",
      );
      const malformed = await t.request('GET', '/v1/me', { headers: { authorization: 'Bearer not.a.jwt' } });
      expect(malformed.body.message).toBe('The bearer token is not a well-formed JWT.');
    });

    it('401 for an expired token and for one not yet valid', async () => {
      const expired = await t.token({ sub: 'x' }, Math.floor(Date.now() / 1000) - 60);
      const res = await t.request('GET', '/v1/me', { token: expired });
      expect(res.status).toBe(401);
      expect(res.body.message).toMatch(/expired/);
      const notYet = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('x')
        .setNotBefore('1h')
        .setExpirationTime('2h')
        .sign(new TextEncoder().encode(t.config.auth.jwtSecret!));
      expect((await t.request('GET', '/v1/me', { token: notYet })).status).toBe(401);
    });

    it('a token accepted once is refused after it expires (verified tokens are not kept past exp)', async () => {
      const tk = await t.token({ sub: 'short-lived' }, Math.floor(Date.now() / 1000) + 2);
      expect((await t.request('GET', '/v1/me', { token: tk })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 2500));
      const late = await t.request('GET', '/v1/me', { token: tk });
      expect(late.status).toBe(401);
      expect(late.body.message).toMatch(/expired/);
    });

    it('reads sub, scopes, brands and persona from a valid token', async () => {
      const tk = await t.token({ sub: 'svc', scope: 'b a', brandIds: ['brand-1'], persona: 'admin' });
      const res = await t.request('GET', '/v1/me', { token: tk });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        sub: 'svc',
        scopes: ['a', 'b'],
        brand_ids: ['brand-1'],
        persona: 'admin',
        name: null,
        email: null,
        email_verified: false,
      });
    });

    it('checks the token before the body: an anonymous caller gets 401, not a validation error', async () => {
      const res = await t.request('POST', '/test/echo', { body: { wrong: true } });
      expect(res.status).toBe(401);
    });

    it('403 insufficient_scope when the token lacks the route scope', async () => {
      const tk = await t.token({ sub: 'svc', scope: 'other' });
      const res = await t.request('POST', '/test/echo', { token: tk, body: { name: 'x' } });
      expect(res.status).toBe(403);
      expect(res.body).toEqual({
        error: 'insufficient_scope',
        message: 'This request needs the "test:write" scope.',
      });
    });
  });

  describe('errors are always {error, message}', () => {
    it('400 validation_error with details', async () => {
      const res = await t.request('POST', '/test/echo', { token, body: { name: '' } });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('validation_error');
      expect(res.body.details).toEqual([{ path: '/name', message: 'must NOT have fewer than 1 characters' }]);
    });

    it('400 for malformed JSON and for an empty JSON body', async () => {
      const res = await t.request('POST', '/test/echo', {
        token,
        rawBody: '{"name": ',
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: 'malformed_json', message: 'The request body is not valid JSON.' });
      const empty = await t.request('POST', '/test/echo', {
        token,
        rawBody: '',
        headers: { 'content-type': 'application/json' },
      });
      expect(empty.status).toBe(400);
      expect(empty.body.error).toBe('malformed_json');
    });

    it('413 for a body over 1 MiB', async () => {
      const res = await t.request('POST', '/test/echo', {
        token,
        body: { name: 'x'.repeat(1024 * 1024 + 10) },
      });
      expect(res.status).toBe(413);
      expect(res.body.error).toBe('payload_too_large');
    });

    it('415 for a body that is not JSON', async () => {
      const res = await t.request('POST', '/test/echo', {
        token,
        rawBody: 'name=x',
        headers: { 'content-type': 'text/plain' },
      });
      expect(res.status).toBe(415);
      expect(res.body.error).toBe('unsupported_media_type');
    });

    it('404 for an unknown route, in JSON', async () => {
      const res = await t.request('GET', '/nope?x=1');
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(res.body).toEqual({ error: 'not_found', message: 'No route GET /nope.' });
    });

    it('500 with a generic message; the log says where it failed, never the message (it may quote data)', async () => {
      const res = await t.request('GET', '/test/boom', { token, headers: { 'x-request-id': 'boom-1' } });
      expect(res.status).toBe(500);
      expect(res.body).toEqual({
        error: 'internal_error',
        message: 'An unexpected error occurred; it has been logged.',
      });
      expect(res.text).not.toContain('secret internal detail');
      const line = t.logs.find((l) => l.includes('boom-1') && l.includes('request failed'));
      expect(line).toBeDefined();
      const logged = JSON.parse(line!) as { err: { type: string; stack: string }; error_code: string };
      expect(logged).toMatchObject({ error_code: 'internal_error', err: { type: 'Error' } });
      expect(logged.err.stack).toContain('foundation.test.ts');
      expect(line).not.toContain('secret internal detail');
    });
  });
});

describe('JWKS, issuer and audience', () => {
  let t: TestApp;
  let jwks: http.Server;
  let sign: (claims: { iss?: string; aud?: string }) => Promise<string>;

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    jwks = http.createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    const port = (jwks.address() as { port: number }).port;
    sign = (c) => {
      let j = new SignJWT({ scope: 'x' })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setSubject('idp-user')
        .setExpirationTime('1h');
      if (c.iss) j = j.setIssuer(c.iss);
      if (c.aud) j = j.setAudience(c.aud);
      return j.sign(privateKey);
    };
    t = await startTestApp({
      env: {
        AUTH_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
        AUTH_ISSUER: 'https://idp.example',
        AUTH_AUDIENCE: 'labline',
      },
    });
  });
  afterAll(async () => {
    await t.close();
    jwks.close();
  });

  it('accepts an ES256 token from the JWKS with the right issuer and audience', async () => {
    const res = await t.request('GET', '/v1/me', {
      token: await sign({ iss: 'https://idp.example', aud: 'labline' }),
    });
    expect(res.status).toBe(200);
    expect(res.body.sub).toBe('idp-user');
  });

  it('401 for a wrong issuer or audience, naming the claim', async () => {
    const wrongIss = await t.request('GET', '/v1/me', {
      token: await sign({ iss: 'https://evil', aud: 'labline' }),
    });
    expect(wrongIss.status).toBe(401);
    expect(wrongIss.body.message).toBe(
      'The bearer token\'s issuer ("iss" claim) is not the one this service expects (AUTH_ISSUER).',
    );
    const noAud = await t.request('GET', '/v1/me', { token: await sign({ iss: 'https://idp.example' }) });
    expect(noAud.status).toBe(401);
    expect(noAud.body.message).toBe(
      'The bearer token\'s audience ("aud" claim) is not the one this service expects (AUTH_AUDIENCE).',
    );
    // An algorithm neither AUTH_JWT_SECRET (HS256) nor the JWKS allows: the algorithm, not "invalid".
    const hs = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS384' })
      .setSubject('x')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('some-secret-some-secret-some-secret-0123'));
    expect((await t.request('GET', '/v1/me', { token: hs })).body.message).toMatch(
      /^The bearer token is signed with an algorithm this service does not accept/,
    );
  });
});

describe('behind a TLS-terminating proxy (TRUST_PROXY)', () => {
  let t: TestApp;
  beforeAll(async () => {
    // The test's requests come from 127.0.0.1: the proxy it trusts.
    t = await startTestApp({ env: { TRUST_PROXY: '127.0.0.1' } });
  });
  afterAll(() => t.close());

  it('the reference names the server as the proxy says the client asked for it', async () => {
    const res = await t.request('GET', '/openapi.json', {
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'labs.example.com' },
    });
    expect(res.body.servers).toEqual([expect.objectContaining({ url: 'https://labs.example.com' })]);
  });
});
