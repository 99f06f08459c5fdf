/**
 * Delivery across processes: two app instances with workers on one PostgreSQL database deliver
 * each event once; a service killed (SIGKILL) in the middle of a delivery delivers it after a
 * restart (at least once).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { signToken } from '../../src/http/auth.js';
import { startSimulator } from '../../src/junction/simulator/index.js';
import {
  httpRequest,
  junctionEnv,
  SIM_KEY,
  startTestApp,
  TEST_JWT_SECRET,
  type TestApp,
} from '../helpers/app.js';
import { createTestDatabase, usingPostgres } from '../helpers/database.js';
import { orderBody } from '../helpers/lab-stack.js';
import { spawnTs, type Spawned } from '../helpers/process.js';
import { startReceiver, verified, type Receiver } from '../helpers/receiver.js';
import {
  createCatalogTest,
  createClient,
  createWorkspace,
  ok,
  visitBody,
  visitsPath,
} from '../workspaces/world.js';
import { onPostgres } from '../helpers/skip.js';

// The receivers listen on 127.0.0.1, which a deployment refuses unless asked.
const FAST = {
  JOB_POLL_INTERVAL_MS: '200',
  WEBHOOK_RETRY_SCHEDULE: '1,1,1',
  WEBHOOK_ALLOW_PRIVATE_URLS: '1',
};

describe('webhook delivery across processes', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => {});
  });

  onPostgres.it(
    'two instances with workers on one database: 200 events, each delivered once',
    { timeout: 240_000 },
    async () => {
      const a = await startTestApp({ env: FAST });
      cleanup.push(() => a.close());
      const b: TestApp = await startTestApp({
        env: FAST,
        databaseUrl: a.config.database.kind === 'postgres' ? a.config.database.url : '',
        sim: a.sim,
      });
      cleanup.push(() => b.close());
      const r = await startReceiver();
      cleanup.push(() => r.close());
      const w = await createWorkspace(a);
      await createCatalogTest(a, w.admin, 101, 'CBC', 40);
      await createCatalogTest(a, w.admin, 205, 'CRP', 60);
      const client = await createClient(a, w);
      const ep = (
        await ok(
          a.request('POST', `/v1/workspace/${w.workspaceId}/webhook-endpoints`, {
            token: w.owner.token,
            body: { url: `${r.url}/two` },
          }),
        )
      ).webhookEndpoint as { id: string; secret: string };
      for (let i = 0; i < 200; i++) {
        await ok(
          (i % 2 === 0 ? a : b).request('POST', visitsPath(w.workspaceId), {
            token: w.staff.token,
            body: visitBody(client.id),
          }),
        );
      }
      const distinct = () => new Set(r.received.map((x) => x.headers['webhook-id'])).size;
      await r.waitFor(() => distinct() >= 200, 180_000);
      const pending = async () =>
        (
          await a.request(
            'GET',
            `/v1/workspace/${w.workspaceId}/webhook-endpoints/${ep.id}/deliveries?status=pending`,
            { token: w.owner.token },
          )
        ).body.webhookDeliveries.length as number;
      await expect.poll(pending, { timeout: 30_000 }).toBe(0);
      expect(r.received).toHaveLength(200);
      for (const x of r.received) verified(ep.secret, x);
      const workers = [a, b].filter((app) => app.logs.some((l) => l.includes('webhook delivery attempt')));
      expect(workers.length).toBeGreaterThanOrEqual(1);
    },
  );

  it('a service killed mid-delivery delivers the event after its restart', { timeout: 480_000 }, async () => {
    const sim = await startSimulator({ apiKey: SIM_KEY });
    cleanup.push(() => sim.close());
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'labline-kill-'));
    cleanup.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
    const testDb = usingPostgres ? await createTestDatabase() : null;
    if (testDb) cleanup.push(() => testDb.drop());
    const env = {
      ...junctionEnv(sim),
      ...FAST,
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      DATA_DIR: dataDir,
      PORT: '0',
      WEBHOOK_TIMEOUT_MS: '3000',
      JOB_LEASE_SECONDS: '2',
      ...(testDb ? { DATABASE_URL: testDb.url } : {}),
    };
    const r: Receiver = await startReceiver();
    cleanup.push(() => r.close());
    r.answer('never');
    const start = async (): Promise<{ p: Spawned; base: string }> => {
      const p = spawnTs('src/main.ts', [], env);
      cleanup.push(async () => p.child.kill('SIGKILL'));
      const [, base] = await p.waitFor(/listening on (http:\/\/\S+)/, 180_000);
      sim.setWebhookUrl(`${base!}/v1/webhooks/junction`);
      return { p, base: base! };
    };
    const token = await signToken(TEST_JWT_SECRET, {
      sub: 'svc-kill',
      scope: 'lab-orders:admin lab-orders:read lab-orders:write',
      brandIds: ['brand-kill'],
    });
    const first = await start();
    const ep = await httpRequest(first.base, 'POST', '/v1/webhook-endpoints', {
      token,
      body: { url: `${r.url}/kill`, brand_id: 'brand-kill', events: ['lab_order.created'] },
    });
    expect(ep.status, ep.text).toBe(201);
    const order = await httpRequest(first.base, 'POST', '/v1/lab-orders', {
      token,
      body: orderBody({ brand_id: 'brand-kill' }),
      headers: { 'idempotency-key': crypto.randomUUID() },
    });
    expect(order.status, order.text).toBe(201);
    // The receiver holds the first attempt open; the service dies while it waits.
    await r.waitFor((got) => got.length === 1);
    const eventId = r.received[0]!.headers['webhook-id']!;
    first.p.child.kill('SIGKILL');
    await first.p.exited;

    const second = await start();
    await r.waitFor(() => r.withId(eventId).length >= 2, 120_000);
    verified(ep.body.webhook_endpoint.secret as string, r.withId(eventId)[1]!);
    const log = await httpRequest(
      second.base,
      'GET',
      `/v1/webhook-endpoints/${ep.body.webhook_endpoint.id as string}/deliveries`,
      { token },
    );
    await expect
      .poll(
        async () =>
          (
            await httpRequest(
              second.base,
              'GET',
              `/v1/webhook-endpoints/${ep.body.webhook_endpoint.id as string}/deliveries`,
              { token },
            )
          ).body.data[0].status,
      )
      .toBe('succeeded');
    expect(log.status).toBe(200);
    second.p.child.kill('SIGTERM');
    expect(await second.p.exited).toBe(0);
  });
});
