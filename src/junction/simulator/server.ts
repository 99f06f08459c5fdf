/**
 * The Junction simulator as a real HTTP server (plain node:http: it has to keep up with load
 * benchmarks). `startSimulator` runs it in-process; main.ts runs it standalone.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultPlan, validateFaults, type Failure, type Faults, type SimulatorOperation } from './faults.js';
import { LifecycleError } from './lifecycle.js';
import { detail, handle, json, type Reply, type RouteContext } from './routes.js';
import { findLabTest } from './catalog.js';
import { SimulatorStore, type SimOrder, type StoreSnapshot } from './store.js';
import {
  generateWebhookSecret,
  WebhookSender,
  type WebhookDelivery,
  type WebhookRetryOptions,
} from './webhook-sender.js';
import { orderJson, userJson } from './wire.js';

export interface SimulatorOptions {
  /** default 0: any free port */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** when set, the only accepted `x-vital-api-key`; otherwise any non-empty key is accepted */
  apiKey?: string | null;
  /** where `labtest.order.*` webhooks go; null = none sent */
  webhookUrl?: string | null;
  /** Svix signing secret (`whsec_…`); generated when omitted */
  webhookSecret?: string;
  webhookRetry?: WebhookRetryOptions;
  faults?: Faults;
  /** how long an `X-Idempotency-Key` is remembered (default 24 h) */
  idempotencyTtlMs?: number;
  teamId?: string;
  /**
   * Keep the simulator's memory in this JSON file (loaded at start, rewritten after each change),
   * so that labline's demo mode finds its Junction users and orders again after a restart.
   */
  stateFile?: string;
  /** PHI-free structured log entries (faults injected, failed webhooks, internal errors) */
  log?: (entry: Record<string, unknown>) => void;
}

export type SimulatorOrderJson = ReturnType<typeof orderJson>;
export type SimulatorUserJson = ReturnType<typeof userJson>;

export interface Simulator {
  /** base URL, e.g. http://127.0.0.1:43123 */
  readonly url: string;
  readonly webhookSecret: string;
  readonly teamId: string;
  close(): Promise<void>;
  setFaults(faults: Faults): void;
  faults(): Faults;
  setWebhookUrl(url: string | null): void;
  /** Moves an order on (to `finalStatus`, or to its next stage), sending webhooks; throws when not allowed. */
  advance(orderId: string, finalStatus?: string): SimulatorOrderJson;
  /**
   * Moves the simulator's clock forward (tests): idempotency keys older than their lifetime
   * (24 h, as at Junction) are forgotten as if that time had passed.
   */
  advanceClock(ms: number): void;
  order(orderId: string): SimulatorOrderJson | undefined;
  orders(): SimulatorOrderJson[];
  users(): SimulatorUserJson[];
  webhookDeliveries(): WebhookDelivery[];
  /** pending, delivered and failed webhook messages (also `GET /_simulator/webhooks`) */
  webhookSummary(): ReturnType<WebhookSender['summary']>;
  /** resolves when no webhook delivery is pending */
  webhooksSettled(): Promise<void>;
}

const BODY_LIMIT = 1024 * 1024;
const DAY_MS = 24 * 60 * 60 * 1000;

interface Route {
  operation: SimulatorOperation;
  params: string[];
}

/** Junction's paths → operations. `null`: no such path; 'method': the path exists, not the method. */
function route(method: string, segments: string[]): Route | 'method' | null {
  const [version, resource, a, b, c] = segments;
  const n = segments.length;
  let candidates: Partial<Record<string, SimulatorOperation>> = {};
  let params: string[] = [];
  if (version === 'v2' && resource === 'user') {
    if (n === 2) candidates = { POST: 'create_user' };
    else if (n === 4 && a === 'resolve') [candidates, params] = [{ GET: 'resolve_user' }, [b!]];
    else if (n === 3) [candidates, params] = [{ GET: 'get_user' }, [a!]];
  } else if (version === 'v3' && (resource === 'lab_tests' || resource === 'lab_test') && n === 2) {
    candidates = { GET: 'list_lab_tests' };
  } else if (version === 'v3' && resource === 'orders' && n === 2) {
    candidates = { GET: 'list_orders' };
  } else if (version === 'v3' && resource === 'order') {
    if (n === 2) candidates = { POST: 'create_order' };
    else if (n === 3) [candidates, params] = [{ GET: 'get_order' }, [a!]];
    else if (n === 4 && b === 'cancel') [candidates, params] = [{ POST: 'cancel_order' }, [a!]];
    else if (n === 4 && b === 'result') [candidates, params] = [{ GET: 'get_result' }, [a!]];
    else if (n === 5 && b === 'result' && c === 'pdf')
      [candidates, params] = [{ GET: 'get_result_pdf' }, [a!]];
    else if (n === 5 && b === 'requisition' && c === 'pdf')
      [candidates, params] = [{ GET: 'get_requisition_pdf' }, [a!]];
    else if (n === 4 && b === 'test') [candidates, params] = [{ POST: 'simulate_order' }, [a!]];
  }
  const operation = candidates[method];
  if (operation) return { operation, params };
  return Object.keys(candidates).length > 0 ? 'method' : null;
}

function readBody(req: IncomingMessage): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= BODY_LIMIT) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > BODY_LIMIT ? 'too_large' : Buffer.concat(chunks)));
    req.on('error', reject);
    // A client that goes away mid-body never sends 'end'.
    req.on('close', () => {
      if (!req.complete) reject(new Error('request closed before its body was read'));
    });
  });
}

function write(res: ServerResponse, reply: Reply): void {
  if (res.destroyed) return;
  res.writeHead(reply.status, {
    'content-type': reply.contentType ?? 'application/json',
    'content-length': Buffer.byteLength(reply.body),
    ...reply.headers,
  });
  res.end(reply.body);
}

function errorReply(status: number): Reply {
  const messages: Record<number, string> = {
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
    504: 'Gateway Timeout',
  };
  return detail(status, messages[status] ?? 'Error');
}

/** Loads the store from `file` when it exists; returns the function that saves it (atomically). */
function stateFile(
  file: string,
  store: SimulatorStore,
  log: (entry: Record<string, unknown>) => void,
): () => void {
  if (fs.existsSync(file)) {
    try {
      store.restore(JSON.parse(fs.readFileSync(file, 'utf8')) as StoreSnapshot, findLabTest);
    } catch (err) {
      log({ event: 'simulator_state_unreadable', message: (err as Error).message });
    }
  }
  return () => {
    const tmp = `${file}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(store.snapshot()), { mode: 0o600 });
    fs.renameSync(tmp, file);
  };
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const teamId = options.teamId ?? randomUUID();
  const log = options.log ?? (() => undefined);
  const webhooks = new WebhookSender(
    options.webhookSecret ?? generateWebhookSecret(),
    options.webhookUrl ?? null,
    options.webhookRetry ?? {},
    log,
  );
  const store = new SimulatorStore(options.idempotencyTtlMs ?? DAY_MS, (change, order) => {
    webhooks.send(change, order.id, () => ({
      event_type: change,
      user_id: order.userId,
      client_user_id: store.users.get(order.userId)?.clientUserId ?? null,
      team_id: teamId,
      data: orderJson(order, teamId),
    }));
  });
  const persist = options.stateFile ? stateFile(options.stateFile, store, log) : () => undefined;
  const faults = new FaultPlan();
  faults.set(options.faults ?? {});
  webhooks.setFaults(() => faults.webhook());
  /** `X-Idempotency-Key`s of creates whose answer is still delayed (for `collide`) */
  const answering = new Set<string>();

  const timers = new Set<NodeJS.Timeout>();
  const ctx: RouteContext = {
    store,
    teamId,
    later(delaySeconds, fn) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        fn();
      }, delaySeconds * 1000);
      timers.add(timer);
    },
  };

  function fail(res: ServerResponse, failure: Failure, operation: string): void {
    log({
      event: 'fault_injected',
      operation,
      fault: failure.kind,
      ...('status' in failure && { status: failure.status }),
    });
    if (failure.kind === 'hang') return; // the socket stays open until the client gives up
    if (failure.kind === 'drop') {
      res.socket?.destroy();
      return;
    }
    if (failure.kind === 'error') {
      write(res, {
        ...errorReply(failure.status),
        headers: failure.status === 429 ? { 'retry-after': '1' } : undefined,
      });
    }
  }

  async function admin(req: IncomingMessage, res: ServerResponse, segments: string[]): Promise<void> {
    if (segments[1] === 'webhooks' && req.method === 'GET') return write(res, json(200, webhooks.summary()));
    if (segments[1] !== 'faults') return write(res, detail(404, 'Not Found'));
    if (req.method === 'GET') return write(res, json(200, faults.get()));
    if (req.method !== 'PUT') return write(res, detail(405, 'Method Not Allowed'));
    const raw = await readBody(req);
    try {
      faults.set(JSON.parse(raw.toString()) as Faults);
      return write(res, json(200, faults.get()));
    } catch (err) {
      return write(res, detail(400, (err as Error).message));
    }
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator');
    let segments: string[];
    try {
      segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      return write(res, detail(404, 'Not Found'));
    }
    const key = req.headers['x-vital-api-key'];
    if (typeof key !== 'string' || key === '' || (options.apiKey != null && key !== options.apiKey)) {
      return write(res, detail(401, 'Invalid API key'));
    }
    if (segments[0] === '_simulator') return admin(req, res, segments);

    const found = route(req.method ?? 'GET', segments);
    if (found === null) return write(res, detail(404, 'Not Found'));
    if (found === 'method') return write(res, detail(405, 'Method Not Allowed'));

    const raw = await readBody(req);
    const createKey = found.operation === 'create_order' ? req.headers['x-idempotency-key'] : undefined;
    if (typeof createKey === 'string' && answering.has(createKey) && faults.collides()) {
      log({ event: 'fault_injected', operation: found.operation, fault: 'collide', status: 409 });
      return write(res, detail(409, 'A request with this idempotency key is already being processed'));
    }
    const latency = faults.latencyMs(found.operation);
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
    const failure = faults.draw(found.operation);
    if (failure.kind !== 'none') return fail(res, failure, found.operation);

    if (raw === 'too_large') return write(res, detail(413, 'Request body too large'));
    let body: unknown;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return write(res, detail(422, [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }]));
      }
    }
    const reply = handle(ctx, {
      operation: found.operation,
      params: found.params,
      query: url.searchParams,
      headers: req.headers,
      body,
    });
    if (req.method !== 'GET') persist();
    if (reply.created) {
      const delay = faults.createAnswerDelayMs();
      if (delay > 0) {
        if (typeof createKey === 'string') answering.add(createKey);
        await new Promise((resolve) => setTimeout(resolve, delay));
        if (typeof createKey === 'string') answering.delete(createKey);
      }
      const lost = faults.drawCreateThenFail();
      if (lost.kind !== 'none') return fail(res, lost, 'create_order (after storing the order)');
    }
    write(res, reply);
  }

  const server = http.createServer((req, res) => {
    serve(req, res).catch((err: unknown) => {
      log({ event: 'simulator_error', message: (err as Error).message });
      write(res, errorReply(500));
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  const orderOrThrow = (orderId: string): SimOrder => {
    const order = store.orders.get(orderId);
    if (!order) throw new LifecycleError(`unknown order ${orderId}`);
    return order;
  };

  return {
    url: `http://${host}:${address.port}`,
    webhookSecret: webhooks.secret,
    teamId,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Hanging requests (a fault) and idle keep-alive sockets would otherwise hold close() open.
      server.closeAllConnections();
      await Promise.all([closed, webhooks.close()]);
    },
    setFaults(next) {
      faults.set(validateFaults(next));
    },
    faults: () => faults.get(),
    setWebhookUrl: (url) => webhooks.setUrl(url),
    advance(orderId, finalStatus) {
      const order = orderJson(store.advance(orderOrThrow(orderId), finalStatus), teamId);
      persist();
      return order;
    },
    advanceClock(ms) {
      store.advanceClock(ms);
    },
    order(orderId) {
      const order = store.orders.get(orderId);
      return order && orderJson(order, teamId);
    },
    orders: () => [...store.orders.values()].map((o) => orderJson(o, teamId)),
    users: () => [...store.users.values()].map((u) => userJson(u, teamId)),
    webhookDeliveries: () => webhooks.list(),
    webhookSummary: () => webhooks.summary(),
    webhooksSettled: () => webhooks.settled(),
  };
}
