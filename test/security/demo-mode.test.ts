/**
 * Demo mode only when asked for (docs/security.md, docs/demo.md). The review started the service
 * with a secret and a database, no DEMO=1 and no Junction key, and got demo mode: tokens for every
 * persona from GET /v1/demo/personas, a token in /docs, demo data seeded into the configured
 * database, and private webhook URLs allowed. Each test runs the service as `npm start` does.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../src/http/auth.js';
import { DEMO } from '../../src/demo/examples.js';
import { startSimulator, type Simulator } from '../../src/junction/simulator/index.js';
import { junctionEnv, SIM_KEY } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { spawnTs, type Spawned } from '../helpers/process.js';

const SECRET = 'a-deployment-secret-that-is-long-enough-0123456789';

describe('a configured deployment without DEMO=1', { timeout: 180_000 }, () => {
  let testDb: TestDatabase;
  let sim: Simulator;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'labline-deployment-'));
  const started: Spawned[] = [];
  beforeAll(async () => {
    testDb = await createTestDatabase();
    sim = await startSimulator({ apiKey: SIM_KEY });
  });
  afterAll(async () => {
    for (const p of started) p.child.kill('SIGKILL');
    await sim?.close();
    await testDb?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  const start = (env: Record<string, string>) => {
    const p = spawnTs('src/main.ts', [], { DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', ...env });
    started.push(p);
    return p;
  };
  const lines = async (p: Spawned) => {
    expect(await p.exited).toBe(1);
    return p.output().trim().split('\n');
  };

  it('refuses to start with what it lacks, and with an unknown NODE_ENV, in one line each', async () => {
    const [lacking, staging, prod, capital] = await Promise.all([
      // The review's configuration: a secret and a database, no Junction key, no DEMO=1.
      lines(start({ AUTH_JWT_SECRET: SECRET, DATABASE_URL: testDb.url })),
      lines(start({ NODE_ENV: 'staging', AUTH_JWT_SECRET: SECRET, DATABASE_URL: testDb.url })),
      lines(start({ NODE_ENV: 'prod', AUTH_JWT_SECRET: SECRET, ...junctionEnv(sim) })),
      lines(start({ NODE_ENV: 'Production' })),
    ]);
    expect(lacking).toEqual([
      'labline: Invalid configuration: this is a deployment (DATABASE_URL, AUTH_JWT_SECRET are set without DEMO=1), ' +
        'and a deployment needs JUNCTION_API_KEY (with JUNCTION_WEBHOOK_SECRET and JUNCTION_PANELS); ' +
        'set them, or set DEMO=1 for demo mode',
    ]);
    for (const [out, value] of [
      [staging, 'staging'],
      [prod, 'prod'],
      [capital, 'Production'],
    ] as const) {
      expect(out).toEqual([
        `labline: Invalid configuration: NODE_ENV must be one of production, development, test (got "${value}")`,
      ]);
    }
  });

  it('serves no demo route, embeds no token in /docs, seeds nothing and refuses a loopback webhook URL', async () => {
    const p = start({ AUTH_JWT_SECRET: SECRET, DATABASE_URL: testDb.url, ...junctionEnv(sim) });
    const [, base] = await p.waitFor(/labline is listening on (http:\/\/\S+)/, 120_000);
    await p.waitFor(/Deployment: DATABASE_URL, AUTH_JWT_SECRET, JUNCTION_API_KEY are set without DEMO=1/);
    expect(p.output()).not.toContain('_TOKEN=');
    const get = (url: string, token?: string) =>
      fetch(`${base}${url}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    const admin = await signToken(SECRET, { sub: 'platform-admin', persona: 'admin' }, '1h');
    const clinical = await signToken(
      SECRET,
      { sub: 'svc', scope: 'lab-orders:write lab-orders:read lab-orders:admin', brandIds: [DEMO.brandId] },
      '1h',
    );

    expect((await get('/v1/demo/personas')).status).toBe(404);
    const advance = await fetch(`${base}/v1/demo/lab-orders/${randomUUID()}/advance`, {
      method: 'POST',
      headers: { authorization: `Bearer ${clinical}` },
    });
    expect(advance.status).toBe(404);
    const openapi = (await (await get('/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths).filter((p) => p.startsWith('/v1/demo'))).toEqual([]);

    const docs = await get('/docs');
    expect(docs.status).toBe(200);
    const html = await docs.text();
    expect(html).toContain('/openapi.json');
    expect(html).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);
    expect(html).not.toContain('securitySchemes');

    // Nothing seeded: no demo workspace, no catalog, no demo brand's panels.
    const workspaces = (await (await get('/v1/workspaces', admin)).json()) as { workspaces: unknown[] };
    expect(workspaces.workspaces).toEqual([]);
    expect((await get(`/v1/workspaces/${DEMO.workspaceId}`, admin)).status).toBe(404);
    const tests = (await (await get('/v1/labs/tests', admin)).json()) as { labTests: unknown[] };
    expect(tests.labTests).toEqual([]);

    for (const url of ['http://127.0.0.1:9/hooks', 'http://169.254.169.254/latest/meta-data']) {
      const res = await fetch(`${base}/v1/webhook-endpoints`, {
        method: 'POST',
        headers: { authorization: `Bearer ${clinical}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url, brand_id: DEMO.brandId }),
      });
      const body = (await res.json()) as { error: string; message: string };
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(body).toMatchObject({
        error: 'invalid_webhook_url',
        message: expect.stringMatching(/non-public/),
      });
    }

    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });
});
