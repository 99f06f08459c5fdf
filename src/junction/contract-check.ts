/**
 * `npm run junction:check` (docs/junction.md, "Checking your Junction"): labline's Junction client,
 * step by step, against the Junction that is configured (JUNCTION_API_KEY and JUNCTION_BASE_URL or
 * JUNCTION_ENVIRONMENT/JUNCTION_REGION, a sandbox), or, with no key, a simulator it starts itself.
 * Each step prints `held`, `failed` (with the reason) or `skipped` (with why); the exit status is 1
 * when a step failed, 2 when the configuration is unusable.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { createJunctionClient, junctionBaseUrl, type JunctionApiClient } from './client.js';
import { SIMULATOR_PANELS, startSimulator, type Simulator } from './simulator/index.js';
import { JunctionRejected, JunctionUnavailable, type CreateJunctionOrder } from './types.js';
import { verifyJunctionWebhook } from './webhooks.js';

/**
 * The check's one Junction user, the same on every run: a sandbox team holds 50 users
 * (`api-details/junction-api.mdx`), and a run must not spend one each time.
 */
export const CHECK_CLIENT_USER_ID = 'labline-junction-check-7f3c2a10-5b9e-4c61-9d2e-0a8f6e4b1c37';
/** How long a sandbox simulation may take before the results step says it found none. */
const RESULTS_WAIT_MS = 30_000;

export type StepOutcome = { state: 'held' | 'skipped'; note: string } | { state: 'failed'; note: string };

export interface CheckTarget {
  /** what is checked, for the first line */
  description: string;
  client: JunctionApiClient;
  webhookSecret: string;
  labTestId: string;
  /** the self-started simulator and where its webhooks arrive; null for a configured Junction */
  simulator: {
    sim: Simulator;
    deliveries: () => { headers: http.IncomingHttpHeaders; body: string }[];
  } | null;
  close(): Promise<void>;
}

/** A test patient: nobody's data. */
function checkOrder(userId: string, labTestId: string): CreateJunctionOrder {
  return {
    userId,
    labTestId,
    patient: {
      firstName: 'Contract',
      lastName: 'Check',
      dob: '1980-01-01',
      gender: 'other',
      phoneNumber: '+14155550100',
      email: 'junction-check@example.com',
    },
    address: { firstLine: '1 Check Street', city: 'San Francisco', state: 'CA', zip: '94105', country: 'US' },
  };
}

function reasonOf(err: unknown): string {
  if (err instanceof JunctionRejected) return `Junction answered ${err.statusCode}: ${err.reason}`;
  if (err instanceof JunctionUnavailable) return `Junction unavailable: ${err.reason}`;
  return err instanceof Error ? err.message : String(err);
}

/** Runs every step in order, reporting each as it ends; resolves to the outcomes. */
export async function runContractCheck(
  target: CheckTarget,
  report: (step: string, outcome: StepOutcome) => void,
): Promise<StepOutcome[]> {
  const outcomes: StepOutcome[] = [];
  const step = async (name: string, run: () => Promise<StepOutcome | string>) => {
    let outcome: StepOutcome;
    try {
      const result = await run();
      outcome = typeof result === 'string' ? { state: 'held', note: result } : result;
    } catch (err) {
      outcome = { state: 'failed', note: reasonOf(err) };
    }
    outcomes.push(outcome);
    report(name, outcome);
    return outcome;
  };
  const needs = (what: string): StepOutcome => ({ state: 'skipped', note: `needs ${what}` });
  const { client } = target;

  let userId: string | null = null;
  await step('create a user (POST /v2/user)', async () => {
    userId = await client.ensureUser(CHECK_CLIENT_USER_ID);
    return `user ${userId} (client_user_id ${CHECK_CLIENT_USER_ID}, the same on every run)`;
  });

  let orderId: string | null = null;
  await step(`order a sandbox lab test (POST /v3/order, lab test ${target.labTestId})`, async () => {
    if (userId === null) return needs('the user');
    const order = await client.createOrder(checkOrder(userId, target.labTestId), randomUUID());
    orderId = order.id;
    if (order.status !== 'received') throw new Error(`the new order is ${order.statusDetail}, not received`);
    return `order ${order.id}, ${order.statusDetail}`;
  });

  await step('read the order (GET /v3/order/{id})', async () => {
    if (orderId === null) return needs('the order');
    const read = await client.getOrder(orderId);
    if (read.id !== orderId) throw new Error(`asked for ${orderId}, got ${read.id}`);
    return `${read.statusDetail}, ${read.events.length} event(s)`;
  });

  await step('read its results (POST /v3/order/{id}/test, then GET /v3/order/{id}/result)', async () => {
    if (orderId === null) return needs('the order');
    const id = orderId;
    // Sandbox orders do not move by themselves (lab/overview/sandbox.mdx): run this one to completion.
    await client.simulateOrder(id);
    const until = Date.now() + RESULTS_WAIT_MS;
    let status = (await client.getOrder(id)).status;
    while (status !== 'completed' && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      status = (await client.getOrder(id)).status;
    }
    if (status !== 'completed')
      return {
        state: 'skipped',
        note: `Junction had not completed the simulated order within ${RESULTS_WAIT_MS / 1000} s (it is ${status ?? 'in a status labline does not know'}); no results to read`,
      };
    const results = await client.getResults(id);
    if (results.markers.length === 0) throw new Error('the completed order has no results');
    return `${results.markers.length} marker(s), report ${results.status}`;
  });

  await step('cancel a fresh order (POST /v3/order/{id}/cancel)', async () => {
    if (userId === null) return needs('the user');
    const fresh = await client.createOrder(checkOrder(userId, target.labTestId), randomUUID());
    const cancelled = await client.cancelOrder(fresh.id);
    if (cancelled.status !== 'cancelled')
      throw new Error(`the order is ${cancelled.statusDetail} after the cancel`);
    return `order ${fresh.id}, ${cancelled.statusDetail}`;
  });

  await step('verify a webhook signature with the configured secret', async () => {
    if (target.simulator !== null) {
      // The simulator's own deliveries, as labline's webhook route verifies them.
      await target.simulator.sim.webhooksSettled();
      const deliveries = target.simulator.deliveries();
      if (deliveries.length === 0) throw new Error('no webhook arrived');
      for (const d of deliveries) verifyJunctionWebhook(target.webhookSecret, d.body, d.headers);
      return `${deliveries.length} delivery(ies) verified`;
    }
    // Junction's deliveries go to the endpoint registered in its dashboard (labline's public URL),
    // not to this command: it checks that the secret is a Svix signing secret that verifies what
    // it signs, and refuses what another secret signed.
    // Not an order event: only the signature is checked, not an order's schema.
    const body = JSON.stringify({ event_type: 'labline.junction_check', data: {} });
    const id = `msg_check_${randomUUID()}`;
    const at = new Date();
    const headers = (secret: string) => ({
      'svix-id': id,
      'svix-timestamp': String(Math.floor(at.getTime() / 1000)),
      'svix-signature': new Webhook(secret).sign(id, at, body),
    });
    verifyJunctionWebhook(target.webhookSecret, body, headers(target.webhookSecret));
    const other = `whsec_${Buffer.from(randomUUID()).toString('base64')}`;
    let refused = false;
    try {
      verifyJunctionWebhook(target.webhookSecret, body, headers(other));
    } catch {
      refused = true;
    }
    if (!refused) throw new Error('a message signed with another secret was accepted');
    return "signed here with the configured secret (Junction's own deliveries: see its dashboard's webhook logs)";
  });

  return outcomes;
}

/** A local receiver for the self-started simulator's webhooks. */
async function startReceiver(): Promise<{
  url: string;
  received: { headers: http.IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}> {
  const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`,
    received,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The Junction to check, from the configuration (or a simulator started here when there is no key). */
export async function checkTarget(config: Config['junction']): Promise<CheckTarget> {
  if (config.apiKey !== null) {
    if (config.environment === 'production')
      throw new ConfigError([
        'npm run junction:check places and cancels orders: run it against a sandbox (JUNCTION_ENVIRONMENT=sandbox), never production',
      ]);
    const baseUrl = config.baseUrl ?? junctionBaseUrl(config.environment, config.region);
    const labTestId = Object.values(config.panels)[0];
    if (labTestId === undefined || config.webhookSecret === null)
      throw new ConfigError([
        'JUNCTION_PANELS and JUNCTION_WEBHOOK_SECRET are required with JUNCTION_API_KEY',
      ]);
    return {
      description: `Junction at ${baseUrl} (${config.environment}, JUNCTION_API_KEY)`,
      client: createJunctionClient({ ...config, apiKey: config.apiKey, baseUrl }),
      webhookSecret: config.webhookSecret,
      labTestId,
      simulator: null,
      close: async () => undefined,
    };
  }
  const receiver = await startReceiver();
  const apiKey = `sk_check_${randomUUID()}`;
  const sim = await startSimulator({ apiKey, webhookUrl: receiver.url, webhookRetry: { scale: 0.001 } });
  return {
    description: `the built-in Junction simulator at ${sim.url} (no JUNCTION_API_KEY)`,
    client: createJunctionClient({ ...config, apiKey, baseUrl: sim.url }),
    webhookSecret: sim.webhookSecret,
    labTestId: SIMULATOR_PANELS.hashimotos,
    simulator: { sim, deliveries: () => [...receiver.received] },
    close: async () => {
      await sim.close();
      await receiver.close();
    },
  };
}

/** The command: prints each step, returns the exit status. */
export async function main(
  write: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Promise<number> {
  let target: CheckTarget;
  try {
    target = await checkTarget(loadConfig().junction);
  } catch (err) {
    if (err instanceof ConfigError) {
      write(`junction:check: ${err.message}`);
      return 2;
    }
    throw err;
  }
  write(`Junction contract check against ${target.description}`);
  try {
    const outcomes = await runContractCheck(target, (name, outcome) => {
      write(`  ${outcome.state.padEnd(7)} ${name}${outcome.note ? `: ${outcome.note}` : ''}`);
    });
    const count = (s: StepOutcome['state']) => outcomes.filter((o) => o.state === s).length;
    write(`${count('held')} held, ${count('failed')} failed, ${count('skipped')} skipped`);
    return count('failed') > 0 ? 1 : 0;
  } finally {
    await target.close();
  }
}
