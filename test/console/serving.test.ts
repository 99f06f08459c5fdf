/**
 * The console as the service serves it (/console, from dist/console, built by the global setup as
 * `npm run build` does): no token needed, hashed assets cached as immutable, index.html
 * revalidated, a Content-Security-Policy that keeps the pages on this origin, the catalogue's 404
 * for anything else; and the demo-only persona route its sign-in uses.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleRoutes } from '../../src/http/console.js';
import { errorHandlerPlugin } from '../../src/http/error-handler.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

describe('/console (demo mode)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ demo: true });
  });
  afterAll(() => t?.close());

  it('redirects /console to /console/, whose page needs no token and is revalidated on every load', async () => {
    const bare = await fetch(`${t.baseUrl}/console`, { redirect: 'manual' });
    expect([301, 302]).toContain(bare.status);
    expect(bare.headers.get('location')).toBe('/console/');

    const page = await t.request('GET', '/console/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.text).toContain('<div id="app">');
    // Everything it loads comes from here: no CDN, no other host.
    const refs = [...page.text.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(ref).toMatch(/^(\/console\/|data:)/);

    const etag = page.headers.get('etag');
    expect(etag).toBeTruthy();
    // (fetch adds `cache-control: no-cache` to a conditional request unless told otherwise)
    const again = await t.request('GET', '/console/', {
      headers: { 'if-none-match': etag!, 'cache-control': 'max-age=0' },
    });
    expect(again.status).toBe(304);
  });

  it('serves the hashed assets as immutable for a year', async () => {
    const page = await t.request('GET', '/console/');
    const assets = [...page.text.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    for (const asset of assets) {
      const res = await t.request('GET', asset);
      expect(res.status, asset).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('content-type')).toMatch(asset.endsWith('.js') ? /javascript/ : /text\/css/);
      expect(res.headers.get('content-security-policy')).toBeNull();
    }
  });

  it('answers the catalogue’s 404 for a file it does not have, and never leaves its folder', async () => {
    for (const url of [
      '/console/assets/nothing-here.js',
      '/console/../package.json',
      '/console/%2e%2e/package.json',
      '/console/..%2f..%2fpackage.json',
    ]) {
      const res = await t.request('GET', url);
      expect(res.status, url).toBe(404);
      expect(res.body.error, url).toBe('not_found');
      expect(res.text).not.toContain('"name": "labline"');
    }
  });

  it('GET /v1/demo/personas: no token needed; a working token per persona, for the one-click sign-in', async () => {
    const res = await t.request('GET', '/v1/demo/personas');
    expect(res.status).toBe(200);
    expect(res.body.personas.map((p: { persona: string }) => p.persona)).toEqual([
      'owner',
      'staff',
      'customer',
      'admin',
      'clinical',
    ]);
    const me = async (token: string) => (await t.request('GET', '/v1/me', { token })).body;
    const byPersona = Object.fromEntries(
      res.body.personas.map((p: { persona: string; token: string }) => [p.persona, p.token]),
    );
    expect(await me(byPersona.owner)).toMatchObject({ sub: '65a0000000000000000000b1', persona: null });
    expect(await me(byPersona.staff)).toMatchObject({ sub: '65a0000000000000000000b2', persona: null });
    expect(await me(byPersona.customer)).toMatchObject({ persona: 'customer' });
    expect(await me(byPersona.admin)).toMatchObject({ persona: 'admin' });
    expect(await me(byPersona.clinical)).toMatchObject({
      brand_ids: ['demo-brand'],
      scopes: expect.arrayContaining(['lab-orders:read']),
    });
  });
});

describe('/console outside demo mode', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('serves the same pages; the persona route does not exist', async () => {
    expect((await t.request('GET', '/console/')).status).toBe(200);
    const personas = await t.request('GET', '/v1/demo/personas');
    expect(personas.status).toBe(404);
    expect(personas.body.error).toBe('not_found');
  });
});

describe('/console without a build', () => {
  it('says how to build it, in the catalogue’s 404', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'labline-no-console-'));
    const app = Fastify();
    try {
      await app.register(errorHandlerPlugin);
      await app.register(consoleRoutes, { root: empty });
      for (const url of ['/console', '/console/', '/console/assets/x.js']) {
        const res = await app.inject({ method: 'GET', url });
        expect(res.statusCode, url).toBe(404);
        expect(res.json()).toEqual({
          error: 'not_found',
          message: 'The console is not built: run `npm run build` (npm start does).',
        });
      }
    } finally {
      await app.close();
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
