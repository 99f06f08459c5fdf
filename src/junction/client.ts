/**
 * The only code that reaches Junction: the official SDK, wrapped with labline's rules.
 * - One time budget per call (JUNCTION_TIMEOUT_MS), retries and pauses included.
 * - The SDK's own retries are off (it would retry POSTs blindly); this client retries only what
 *   is safe to repeat: GETs, `POST /v2/user` (keyed by client_user_id) and `POST /v3/order`
 *   with an `X-Idempotency-Key`. Cancel is never repeated.
 * - Failures become `JunctionUnavailable` / `JunctionRejected`; no patient value reaches a reason.
 * - Every call goes through the SDK's typed methods; the SDK is loaded on a client's first call
 *   (sdk.ts), so constructing a client costs nothing.
 */
import { createJunctionFetch, type JunctionFetch } from './fetch.js';
import type { Junction, JunctionClient, JunctionError } from '@junction-api/sdk';
import { loadJunctionSdk, type JunctionSdk } from './sdk.js';
import type { JunctionEnvironment as JunctionEnvironmentName, JunctionRegion } from '../config.js';
import type { Metrics } from '../http/metrics.js';
import { CallBudget } from './call-budget.js';
import { classifyError, describeErrorBody } from './classify-error.js';
import { mapLabTest, mapOrder, mapResults } from './mapping.js';
import {
  JunctionRejected,
  JunctionUnavailable,
  JunctionUnknownUser,
  JunctionUserLimit,
  type CreateJunctionOrder,
  type JunctionApi,
  type JunctionLabTest,
  type JunctionOrder,
  type JunctionResults,
} from './types.js';

export interface JunctionClientOptions {
  apiKey: string;
  /** overrides the environment's URL (the simulator, a proxy) */
  baseUrl: string | null;
  environment: JunctionEnvironmentName;
  region: JunctionRegion;
  /** budget of one call, retries included */
  timeoutMs: number;
  metrics?: Metrics;
  /** attempts of a retry-safe request (default 3) */
  maxAttempts?: number;
}

export type JunctionOperation =
  | 'ensure_user'
  | 'create_order'
  | 'get_order'
  | 'list_orders'
  | 'cancel_order'
  | 'get_results'
  | 'get_result_pdf'
  | 'get_requisition_pdf'
  | 'list_lab_tests'
  | 'simulate_order';

/**
 * The SDK's `JunctionEnvironment` URLs (a test keeps them equal), written out so that naming
 * Junction's URL at start-up does not load the SDK (sdk.ts).
 */
const BASE_URLS: Record<JunctionEnvironmentName, Record<JunctionRegion, string>> = {
  sandbox: { us: 'https://api.sandbox.us.junction.com', eu: 'https://api.sandbox.eu.junction.com' },
  production: { us: 'https://api.us.junction.com', eu: 'https://api.eu.junction.com' },
};

export function junctionBaseUrl(environment: JunctionEnvironmentName, region: JunctionRegion): string {
  return BASE_URLS[environment][region];
}

/** Backoff before retry `attempt` (1-based): 100 ms, 200 ms, 400 ms… ±50 % jitter, capped at 2 s. */
function backoffMs(attempt: number): number {
  const base = Math.min(2000, 100 * 2 ** (attempt - 1));
  return base / 2 + Math.random() * base;
}

/** An attempt that cannot get this much of the budget is not worth starting. */
const MIN_ATTEMPT_MS = 50;

/** Junction's "already exists" answer to `POST /v2/user`: the user id when it says, null when not. */
function existingUserId(body: unknown): string | null | undefined {
  const detail =
    typeof body === 'object' && body !== null ? (body as { detail?: unknown }).detail : undefined;
  if (typeof detail === 'object' && detail !== null) {
    const { user_id: userId, error_message: message } = detail as {
      user_id?: unknown;
      error_message?: unknown;
    };
    if (typeof userId === 'string' && userId !== '') return userId;
    if (typeof message === 'string' && /already exists/i.test(message)) return null;
  }
  if (typeof detail === 'string' && /already exists/i.test(detail)) return null;
  return undefined;
}

/**
 * Whether `err` is Junction's 4xx saying it does not know the user an order names: a FastAPI
 * error on `user_id` (`{"detail": [{"loc": ["body", "user_id"], "msg": "… not found"}]}`) or a
 * message such as "User not found".
 */
function isUnknownUserAnswer(sdk: JunctionSdk, err: unknown): boolean {
  if (!(err instanceof sdk.JunctionError) || err.statusCode === undefined) return false;
  if (err.statusCode < 400 || err.statusCode >= 500) return false;
  const body = err.body;
  const detail =
    typeof body === 'object' && body !== null ? (body as { detail?: unknown }).detail : undefined;
  const notFound = (text: unknown): text is string =>
    typeof text === 'string' && /not found|does not exist|unknown/i.test(text);
  if (Array.isArray(detail)) {
    return detail.some(
      (item: { loc?: unknown; msg?: unknown } | null) =>
        Array.isArray(item?.loc) && item.loc[item.loc.length - 1] === 'user_id' && notFound(item.msg),
    );
  }
  const message =
    typeof detail === 'object' && detail !== null
      ? ((detail as { error_message?: unknown }).error_message ?? (detail as { message?: unknown }).message)
      : detail;
  return notFound(message) && /\buser\b/i.test(message);
}

/**
 * Junction's reason when it refuses `POST /v2/user` because the team holds as many users as it may
 * (50 in the sandbox, `api-details/junction-api.mdx`), or null. The answer's shape is undocumented:
 * any 4xx whose reason speaks of a limit or a maximum of users (not "already exists").
 */
function userLimitReason(sdk: JunctionSdk, err: unknown): string | null {
  if (!(err instanceof sdk.JunctionError) || err.statusCode === undefined) return null;
  if (err.statusCode < 400 || err.statusCode >= 500) return null;
  const reason = describeErrorBody(err.body, err.statusCode);
  if (/already exists/i.test(reason)) return null;
  return /\blimit\b|\bmaximum\b|\bup to \d+\b|\btoo many users\b/i.test(reason) && /\busers?\b/i.test(reason)
    ? reason.slice(0, 300)
    : null;
}

let shared: JunctionFetch | undefined;
/** One keep-alive connection pool per process, shared by every client (idle sockets do not hold the process). */
function junctionFetch(): JunctionFetch {
  return (shared ??= createJunctionFetch());
}

/** A patient's Junction orders are read this many at a time, at most this many pages. */
const ORDER_PAGE_SIZE = 50;
const MAX_ORDER_PAGES = 20;

/** One call to Junction: its time budget, and the SDK it goes through. */
interface Call {
  budget: CallBudget;
  sdk: JunctionSdk;
  api: JunctionClient;
}

export class JunctionApiClient implements JunctionApi {
  private readonly options: JunctionClientOptions;
  private readonly maxAttempts: number;
  /** the SDK and its client, made on the first call (sdk.ts) */
  private connection: Promise<Pick<Call, 'sdk' | 'api'>> | undefined;

  constructor(options: JunctionClientOptions) {
    this.options = options;
    this.maxAttempts = options.maxAttempts ?? 3;
  }

  private connect(): Promise<Pick<Call, 'sdk' | 'api'>> {
    const { apiKey, baseUrl, environment, region, timeoutMs } = this.options;
    return (this.connection ??= loadJunctionSdk().then((sdk) => ({
      sdk,
      api: new sdk.JunctionClient({
        apiKey,
        baseUrl: baseUrl ?? junctionBaseUrl(environment, region),
        timeoutInSeconds: (timeoutMs + 1000) / 1000,
        maxRetries: 0,
        fetch: junctionFetch().fetch,
      }),
    })));
  }

  async ensureUser(clientUserId: string): Promise<string> {
    return this.run('ensure_user', async (call) => {
      const userId = await this.send(call, 'ensure_user', true, [], async (options) => {
        try {
          return (await call.api.user.create({ clientUserId }, options)).userId;
        } catch (err) {
          if (err instanceof call.sdk.Junction.BadRequestError) {
            const existing = existingUserId(err.body);
            if (existing !== undefined) return existing;
          }
          throw err;
        }
      });
      if (userId !== null) return userId;
      // "Already exists" without the id: look the user up by our id.
      const user = await this.send(call, 'ensure_user', true, [], (options) =>
        call.api.user.getByClientUserId({ clientUserId }, options),
      );
      return user.userId;
    });
  }

  async createOrder(order: CreateJunctionOrder, idempotencyKey: string): Promise<JunctionOrder> {
    const { patient, address } = order;
    const phi = [
      patient.firstName,
      patient.lastName,
      patient.dob,
      patient.phoneNumber,
      patient.email,
      address.firstLine,
      address.secondLine ?? '',
      address.city,
      address.zip,
    ];
    // Without a key a repeated POST could create a second order: retry only with one.
    const retrySafe = idempotencyKey.trim() !== '';
    return this.run('create_order', async (call) => {
      const response = await this.send(call, 'create_order', retrySafe, phi, (options) =>
        call.api.labTests.createOrder(
          {
            idempotencyKey: retrySafe ? idempotencyKey : undefined,
            // A refusal is not replayed under the key: the order can be sent again once its cause
            // is fixed (the user ensured again after JunctionUnknownUser).
            idempotencyError: retrySafe ? 'no-cache' : undefined,
            userId: order.userId,
            orderSet: { labTestIds: [order.labTestId] },
            passthrough: order.passthrough,
            patientDetails: {
              firstName: patient.firstName,
              lastName: patient.lastName,
              dob: patient.dob,
              gender: patient.gender,
              phoneNumber: patient.phoneNumber,
              email: patient.email,
            },
            patientAddress: {
              receiverName: `${patient.firstName} ${patient.lastName}`,
              firstLine: address.firstLine,
              secondLine: address.secondLine ?? undefined,
              city: address.city,
              state: address.state,
              zip: address.zip,
              country: address.country,
            },
          },
          options,
        ),
      );
      return mapOrder(response.order);
    });
  }

  async getOrder(orderId: string): Promise<JunctionOrder> {
    return this.run('get_order', async (call) =>
      mapOrder(
        await this.send(call, 'get_order', true, [], (o) => call.api.labTests.getOrder({ orderId }, o)),
      ),
    );
  }

  async findOrderByPassthrough(userId: string, passthrough: string): Promise<JunctionOrder | null> {
    return this.run('list_orders', async (call) => {
      for (let page = 1; page <= MAX_ORDER_PAGES; page++) {
        const response = await this.send(call, 'list_orders', true, [], (o) =>
          call.api.labTests.getOrders({ userId, page, size: ORDER_PAGE_SIZE }, o),
        );
        const found = response.orders.find((order) => order.passthrough === passthrough);
        if (found) return mapOrder(found);
        if (response.orders.length < ORDER_PAGE_SIZE) return null;
      }
      return null;
    });
  }

  async cancelOrder(orderId: string): Promise<JunctionOrder> {
    return this.run('cancel_order', async (call) => {
      const response = await this.send(call, 'cancel_order', false, [], (o) =>
        call.api.labTests.cancelOrder({ orderId }, o),
      );
      return mapOrder(response.order);
    });
  }

  async getResults(orderId: string): Promise<JunctionResults> {
    return this.run('get_results', async (call) => {
      const raw = await this.send(call, 'get_results', true, [], (o) =>
        call.api.labTests.getResultRaw({ orderId }, o),
      );
      return mapResults(orderId, raw);
    });
  }

  async getResultPdf(orderId: string): Promise<Uint8Array> {
    return this.download('get_result_pdf', (call, o) => call.api.labTests.getResultPdf({ orderId }, o));
  }

  async getRequisitionPdf(orderId: string): Promise<Uint8Array> {
    // The SDK's name for GET /v3/order/{id}/requisition/pdf (sic).
    return this.download('get_requisition_pdf', (call, o) =>
      call.api.labTests.getOrderRequistionPdf({ orderId }, o),
    );
  }

  /** A binary answer (a PDF), read inside the attempt: a connection lost mid-download is retried too. */
  private download(
    operation: JunctionOperation,
    request: (
      call: Call,
      o: JunctionClient.RequestOptions,
    ) => Promise<{ arrayBuffer(): Promise<ArrayBuffer> }>,
  ): Promise<Uint8Array> {
    return this.run(operation, (call) =>
      this.send(call, operation, true, [], async (o) => {
        const binary = await request(call, o);
        try {
          return new Uint8Array(await binary.arrayBuffer());
        } catch (cause) {
          throw new call.sdk.JunctionError({ message: 'the download was cut off', cause });
        }
      }),
    );
  }

  async listLabTests(): Promise<JunctionLabTest[]> {
    return this.run('list_lab_tests', async (call) => {
      const tests = await this.send(call, 'list_lab_tests', true, [], (o) => call.api.labTests.get({}, o));
      return tests.map(mapLabTest);
    });
  }

  /**
   * Sandbox only (`POST /v3/order/{id}/test`): moves an order through its lifecycle up to
   * `finalStatus` (default: completed), as the lab would. Junction then sends webhooks.
   */
  async simulateOrder(orderId: string, finalStatus?: Junction.OrderStatus): Promise<void> {
    await this.run('simulate_order', (call) =>
      this.send(call, 'simulate_order', false, [], (o) =>
        call.api.labTests.simulateOrderProcess({ orderId, finalStatus }, o),
      ),
    );
  }

  /**
   * One call: its budget and its metric, which start once the SDK is loaded (loading it is
   * labline's time, not Junction's).
   */
  private async run<T>(operation: JunctionOperation, work: (call: Call) => Promise<T>): Promise<T> {
    const connection = await this.connect();
    const budget = new CallBudget(this.options.timeoutMs);
    const started = performance.now();
    const observe = (outcome: 'ok' | 'rejected' | 'unavailable') =>
      this.options.metrics?.junctionDuration.observe(
        { operation, outcome },
        (performance.now() - started) / 1000,
      );
    try {
      const result = await work({ ...connection, budget });
      observe('ok');
      return result;
    } catch (err) {
      if (err instanceof JunctionRejected) observe('rejected');
      else if (err instanceof JunctionUnavailable) observe('unavailable');
      throw err;
    } finally {
      budget.dispose();
    }
  }

  /** One HTTP request, retried within the budget when `retrySafe` and the failure is not definite. */
  private async send<T>(
    { budget, sdk }: Call,
    operation: JunctionOperation,
    retrySafe: boolean,
    phi: readonly string[],
    request: (options: JunctionClient.RequestOptions) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await request({
          abortSignal: budget.signal,
          maxRetries: 0,
          // Our budget's signal must fire first: the SDK's own timeout aborts with a bare string.
          timeoutInSeconds: (budget.remainingMs() + 1000) / 1000,
        });
      } catch (err) {
        if (operation === 'create_order' && isUnknownUserAnswer(sdk, err)) {
          throw new JunctionUnknownUser(operation, (err as JunctionError).statusCode!);
        }
        const userLimit = operation === 'ensure_user' ? userLimitReason(sdk, err) : null;
        // Not retried: it holds until users are freed at Junction.
        if (userLimit !== null) throw new JunctionUserLimit(operation, userLimit);
        const classified = classifyError(sdk, err, operation, budget.expired, phi);
        // Not about Junction (e.g. a request the SDK refuses to serialise): a bug, reported by
        // name only, since the SDK's own message may quote patient values.
        if (classified === null) {
          // eslint-disable-next-line preserve-caught-error -- the cause's message may carry PHI
          throw new Error(
            `Junction ${operation}: unexpected ${(err as Error)?.name ?? 'error'} before an answer`,
          );
        }
        const { error, retryAfterMs } = classified;
        if (retrySafe && error instanceof JunctionUnavailable && attempt < this.maxAttempts) {
          const pause = Math.max(backoffMs(attempt), retryAfterMs ?? 0);
          if (pause + MIN_ATTEMPT_MS < budget.remainingMs()) {
            await budget.pause(pause);
            if (!budget.expired) continue;
          }
        }
        throw error;
      }
    }
  }
}

export function createJunctionClient(options: JunctionClientOptions): JunctionApiClient {
  return new JunctionApiClient(options);
}
