/**
 * A leaked token must expire: a JWT without `exp`, or valid for longer than
 * AUTH_MAX_TOKEN_LIFETIME_HOURS (exp − iat, or exp − now without iat), is 401 with a message that
 * says why. The tokens the service mints itself (demo, tests) are within the limit.
 */
import { SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoTokens } from '../../src/demo/banner.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from '../helpers/app.js';

const HOUR = 3600;
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** An HS256 token with exactly the given time claims. */
function token(claims: Pick<JWTPayload, 'iat' | 'exp'>): Promise<string> {
  return new SignJWT({ ...claims, scope: 'lab-orders:read' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('svc-lifetime')
    .sign(new TextEncoder().encode(TEST_JWT_SECRET));
}

describe('token lifetime', () => {
  let t: TestApp;
  let defaults: TestApp;

  beforeAll(async () => {
    [t, defaults] = await Promise.all([
      startTestApp({ env: { AUTH_MAX_TOKEN_LIFETIME_HOURS: '24' } }),
      startTestApp(),
    ]);
  });
  afterAll(() => Promise.all([t.close(), defaults.close()]));

  const me = (app: TestApp, tk: string) => app.request('GET', '/v1/me', { token: tk });

  it('401 for a token without exp, saying so', async () => {
    const res = await me(t, await token({ iat: nowSeconds() }));
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      error: 'unauthenticated',
      message:
        'The bearer token has no expiry ("exp" claim); this service accepts only tokens that expire within 24 hours. ' +
        'Machine clients that want long-lived credentials use an API key.',
    });
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('401 when exp − iat is beyond the maximum, even when little of it is left', async () => {
    const issued = nowSeconds() - 20 * HOUR;
    const res = await me(t, await token({ iat: issued, exp: issued + 25 * HOUR }));
    expect(res.status).toBe(401);
    expect(res.body.message).toBe(
      'The bearer token is valid for 25 hours ("exp" minus "iat"); this service accepts at most 24 hours. ' +
        'Mint a shorter-lived token, or use an API key.',
    );
  });

  it('401 when, without iat, exp lies further ahead than the maximum', async () => {
    const res = await me(t, await token({ exp: nowSeconds() + 30 * HOUR }));
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(
      /^The bearer token is valid for 30 hours \("exp" from now\); this service accepts at most 24 hours/,
    );
  });

  it('401 for a short token that claims to be issued in the future: the lifetime counts from now', async () => {
    const iat = nowSeconds() + 100 * HOUR;
    const res = await me(t, await token({ iat, exp: iat + HOUR }));
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/^The bearer token is valid for 101 hours/);
  });

  it('accepts tokens up to the maximum, with or without iat', async () => {
    const now = nowSeconds();
    for (const claims of [
      { iat: now, exp: now + 24 * HOUR },
      { exp: now + 23 * HOUR },
      { iat: now - HOUR, exp: now + 23 * HOUR },
    ]) {
      const res = await me(t, await token(claims));
      expect(res.status, JSON.stringify(claims)).toBe(200);
      expect(res.body.sub).toBe('svc-lifetime');
    }
  });

  it('by default the maximum is 720 hours: 30 days pass, 31 do not', async () => {
    const now = nowSeconds();
    expect((await me(defaults, await token({ iat: now, exp: now + 720 * HOUR }))).status).toBe(200);
    const res = await me(defaults, await token({ iat: now, exp: now + 744 * HOUR }));
    expect(res.status).toBe(401);
    expect(res.body.message).toContain('at most 720 hours');
  });

  it("the tokens the service mints carry exp within the maximum: the demo's and the test helpers'", async () => {
    const minted = await demoTokens(TEST_JWT_SECRET, 24);
    for (const tk of [...Object.values(minted), await t.token({ sub: 'helper' })]) {
      expect((await me(t, tk)).status).toBe(200);
    }
    const payload = JSON.parse(
      Buffer.from(minted.owner.split('.')[1]!, 'base64url').toString(),
    ) as JWTPayload;
    expect(payload.exp! - payload.iat!).toBe(24 * HOUR);
  });
});
