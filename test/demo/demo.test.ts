/**
 * The README cannot drift from the product: start the service as `npm start` does (a child
 * process, nothing configured, a fresh DATA_DIR), take the tokens and curls it prints, and run
 * them in a shell exactly as a new user would paste them.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, spawnProcess, spawnTs, type Spawned } from '../helpers/process.js';

const run = promisify(execFile);

interface Printed {
  base: string;
  exports: string[];
  curls: string[];
}

async function startDemo(dataDir: string): Promise<{ p: Spawned; printed: Printed }> {
  const p = spawnTs('src/main.ts', [], { DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn' });
  const [, base] = await p.waitFor(/labline demo is ready at (http:\/\/\S+)/, 90_000);
  await p.waitFor(/See every change as an event[^\n]*\n\s+curl[^\n]*\n/);
  const lines = p.output().split('\n');
  return {
    p,
    printed: {
      base: base!,
      exports: lines.filter((l) => /^\s+export \w+_TOKEN=/.test(l)).map((l) => l.trim()),
      curls: lines.filter((l) => /^\s+curl /.test(l)).map((l) => l.trim()),
    },
  };
}

/** Runs a printed curl in bash with the printed exports; returns HTTP status and body. */
async function shell(printed: Printed, curl: string): Promise<{ status: number; body: any }> {
  const script = `${printed.exports.join('\n')}\n${curl} -w '\\n%{http_code}'`;
  const { stdout } = await run('bash', ['-c', script]);
  const at = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(at + 1)), body: JSON.parse(stdout.slice(0, at)) };
}

async function api(printed: Printed, token: string, urlPath: string) {
  const value = printed.exports.find((e) => e.startsWith(`export ${token}=`))!.split('=')[1];
  const res = await fetch(`${printed.base}${urlPath}`, { headers: { authorization: `Bearer ${value}` } });
  return { status: res.status, body: (await res.json()) as any };
}

// Each test starts the service as a child process (tsx compiles it on the way): minutes on a busy machine.
describe('demo mode: `npm start` on a fresh clone', { timeout: 180_000 }, () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'labline-demo-'));
  const started: Spawned[] = [];
  afterAll(() => {
    for (const p of started) p.child.kill('SIGKILL');
  });

  let orderId = '';
  let visitId = '';

  it('prints the docs URL, a token per persona and a curl per contract; the curls answer 201', async () => {
    const { p, printed } = await startDemo(dataDir);
    started.push(p);
    expect(p.output()).toContain(`API reference: ${printed.base}/docs`);
    expect(printed.exports.map((e) => e.split('=')[0])).toEqual([
      'export CLINICAL_TOKEN',
      'export ADMIN_TOKEN',
      'export OWNER_TOKEN',
      'export STAFF_TOKEN',
      'export CUSTOMER_TOKEN',
    ]);
    const [orderCurl, visitCurl, advanceCurl, eventsCurl] = printed.curls;
    expect(printed.curls).toHaveLength(4);

    const order = await shell(printed, orderCurl!);
    expect(order.status).toBe(201);
    expect(order.body).toMatchObject({ brand_id: 'demo-brand', panel_id: 'hashimotos', status: 'received' });
    orderId = order.body.id;

    const visit = await shell(printed, visitCurl!);
    expect(visit.status).toBe(201);
    expect(visit.body.labVisit.labVisitPricing).toMatchObject({
      labVisitSubtotal: 100,
      labVisitDiscountAmount: 10,
      labVisitTotal: 90,
    });
    visitId = visit.body.labVisit.id;

    // The simulator's webhooks come back to the service: the order really advances.
    // Pasted as printed: it finds the newest order itself.
    expect(advanceCurl).not.toMatch(/<[^>]*>/);
    const advanced = await shell(printed, advanceCurl!);
    expect(advanced.body.id).toBe(orderId);
    expect(advanced.status).toBe(200);
    expect(advanced.body.status).toBe('completed');
    expect(advanced.body.completed_at).toEqual(expect.any(String));

    // Every step is an event, newest first: from created to completed.
    const events = await shell(printed, eventsCurl!);
    expect(events.status).toBe(200);
    const ofOrder = events.body.data.filter((e: any) => e.data.object.id === orderId);
    expect(ofOrder[0]).toMatchObject({
      type: 'lab_order.status_changed',
      data: { object: { status: 'completed' } },
    });
    expect(ofOrder.at(-1)).toMatchObject({ type: 'lab_order.created', brand_id: 'demo-brand' });

    const staff = await api(
      printed,
      'STAFF_TOKEN',
      `/v1/workspace/65a000000000000000000001/labs/visits/${visitId}`,
    );
    expect(staff.status).toBe(200);
    const customer = await api(
      printed,
      'CUSTOMER_TOKEN',
      `/v1/workspace/65a000000000000000000001/labs/visits/${visitId}`,
    );
    expect(customer.status).toBe(403);

    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });

  it('a second start on the same DATA_DIR keeps orders and visits and seeds nothing twice', async () => {
    const { p, printed } = await startDemo(dataDir);
    started.push(p);
    const order = await api(printed, 'CLINICAL_TOKEN', `/v1/lab-orders/${orderId}`);
    expect(order.status).toBe(200);
    expect(order.body.status).toBe('completed');
    const results = await api(printed, 'CLINICAL_TOKEN', `/v1/lab-orders/${orderId}/results`);
    expect(results.status).toBe(200);

    const visits = await api(printed, 'OWNER_TOKEN', '/v1/workspace/65a000000000000000000001/labs/visits');
    expect(visits.status).toBe(200);
    expect(visits.body.labVisits.map((v: { id: string }) => v.id)).toEqual([visitId]);
    const clients = await api(printed, 'OWNER_TOKEN', '/v1/workspace/65a000000000000000000001/clients');
    expect(clients.body.clients).toHaveLength(2);
    const tests = await api(printed, 'OWNER_TOKEN', '/v1/labs/tests');
    expect(tests.body.labTests.filter((t: { testId: number }) => t.testId === 101)).toHaveLength(1);

    // The same patient orders again: the simulated Junction still knows them.
    const again = await shell(
      printed,
      printed.curls[0]!.replace('demo-order-$(date +%s)', 'demo-order-second-start'),
    );
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(orderId);

    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });

  it('the same data against another Junction (the standalone simulator): known patients keep ordering', async () => {
    const sim = spawnTs(
      'src/junction/simulator/main.ts',
      ['--port', '0', '--data-dir', path.join(dataDir, 'simulator')],
      {},
    );
    started.push(sim);
    const [, simUrl] = await sim.waitFor(/listening on (http:\/\/\S+)/, 60_000);
    const [, panels] = await sim.waitFor(/JUNCTION_PANELS=(\S+)/);
    const [, secret] = await sim.waitFor(/JUNCTION_WEBHOOK_SECRET=(whsec_\S+)/);

    // Leaving demo mode: a deployment configures its secret (here the demo's, so its tokens stay good).
    const p = spawnTs('src/main.ts', [], {
      DATA_DIR: dataDir,
      PORT: '0',
      LOG_LEVEL: 'warn',
      AUTH_JWT_SECRET: fs.readFileSync(path.join(dataDir, 'jwt-secret'), 'utf8').trim(),
      JUNCTION_API_KEY: 'any',
      JUNCTION_BASE_URL: simUrl,
      JUNCTION_PANELS: panels,
      JUNCTION_WEBHOOK_SECRET: secret,
    });
    started.push(p);
    const [, base] = await p.waitFor(/labline is listening on (http:\/\/\S+)/, 90_000);
    // Outside demo mode it says how to get a token, and why it is not a demo.
    expect(p.output()).toContain('Deployment: AUTH_JWT_SECRET, JUNCTION_API_KEY are set without DEMO=1');
    expect(p.output()).toContain('npm run token --');
    const minted = spawnTs(
      'src/cli.ts',
      [
        'token',
        '--sub',
        'demo-clinical-service',
        '--scope',
        'lab-orders:write lab-orders:read',
        '--brand',
        'demo-brand',
      ],
      {
        DATA_DIR: dataDir,
      },
    );
    expect(await minted.exited).toBe(0);
    const token = minted.stdout().trim();

    // The demo patient, known from the demo's orders: no demographics sent, a new Junction.
    const res = await fetch(`${base}/v1/lab-orders`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'idempotency-key': 'after-the-move',
      },
      body: JSON.stringify({
        brand_id: 'demo-brand',
        patient_id: '8f14e45f-ceea-467f-a9d5-6b2f1c3e9a10',
        panel_id: 'pcos',
      }),
    });
    const body = (await res.json()) as any;
    expect(body.error).toBeUndefined();
    expect(res.status).toBe(201);
    expect(body).toMatchObject({ status: 'received', panel_id: 'pcos' });

    // The demo's order is still there to read.
    const earlier = await fetch(`${base}/v1/lab-orders/${orderId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(earlier.status).toBe(200);

    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    sim.child.kill('SIGTERM');
    await sim.exited;
  });
});

describe('`npm start` itself', () => {
  const npmStart = (dataDir: string) =>
    spawnProcess('npm', ['start'], { DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info' });
  const builtAt = () => fs.statSync(path.join(ROOT, 'dist/main.js')).mtimeMs;
  const started: Spawned[] = [];
  afterAll(() => {
    for (const p of started) p.child.kill('SIGKILL');
  });

  it(
    'SIGTERM to the npm process stops the service; a second start without changes does not build',
    { timeout: 300_000 },
    async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'labline-npm-start-'));
      // The first start builds when dist/ is missing or older than the sources.
      const first = npmStart(dataDir);
      started.push(first);
      const [, base] = await first.waitFor(/ready at (http:\/\/\S+)/, 240_000);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const built = builtAt();

      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      expect(first.output()).toContain('shutdown complete');
      // The service itself is gone, not just npm.
      await expect(fetch(`${base}/readyz`)).rejects.toThrow();

      const second = npmStart(dataDir);
      started.push(second);
      await second.waitFor(/ready at (http:\/\/\S+)/, 90_000);
      expect(second.output()).not.toContain('labline: building');
      expect(builtAt()).toBe(built);
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    },
  );
});
