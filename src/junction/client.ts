/**
 * The only code that reaches Junction: the official SDK, wrapped with labline's rules.
 * - One time budget per call (JUNCTION_TIMEOUT_MS), retries and pauses included.
 * - The SDK's own retries are off (it would retry POSTs blindly); this client retries only what
 *   is safe to repeat: GETs, `POST /v2/user` (keyed by client_user_id) and `POST /v3/order`
 *   with an `X-Idempotency-Key`. Cancel is never repeated.
 * - Failures become `JunctionUnavailable` / `JunctionRejected`; no patient value reaches a reason.
 */
import { createJunctionFetch, headerList, type JunctionFetch, type TextAnswer } from './fetch.js';
import type { Junction, JunctionClient, JunctionError, serialization } from '@junction-api/sdk';
import { junctionSdk, type JunctionSdkClient } from './sdk.js';
import type { JunctionEnvironment as JunctionEnvironmentName, JunctionRegion } from '../config.js';
import type { Metrics } from '../http/metrics.js';
import { CallBudget } from './call-budget.js';
import { classifyError, describeErrorBody } from './classify-error.js';
import { mapLabTest, mapOrder, mapResults, mapWireOrder, UnexpectedJunctionAnswer } from './mapping.js';
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

const BASE_URLS: Record<JunctionEnvironmentName, Record<JunctionRegion, string>> = {
  sandbox: { us: junctionSdk.JunctionEnvironment.Sandbox, eu: junctionSdk.JunctionEnvironment.SandboxEu },
  production: {
    us: junctionSdk.JunctionEnvironment.Production,
    eu: junctionSdk.JunctionEnvironment.ProductionEu,
  },
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
function isUnknownUserAnswer(err: unknown): boolean {
  if (!(err instanceof junctionSdk.JunctionError) || err.statusCode === undefined) return false;
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
function userLimitReason(err: unknown): string | null {
  if (!(err instanceof junctionSdk.JunctionError) || err.statusCode === undefined) return null;
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

export class JunctionApiClient implements JunctionApi {
  private readonly sdk: JunctionSdkClient;
  /** the SDK's base URL, ending with `/`, and its API key: what postJson sends with */
  private readonly baseUrl: string;
  private readonly apiKey: string;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly metrics: Metrics | undefined;

  constructor(options: JunctionClientOptions) {
    this.timeoutMs = options.timeoutMs;
    this.maxAttempts = options.maxAttempts ?? 3;
    this.metrics = options.metrics;
    const baseUrl = options.baseUrl ?? junctionBaseUrl(options.environment, options.region);
    this.baseUrl = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
    this.apiKey = options.apiKey;
    this.sdk = new junctionSdk.JunctionClient({
      apiKey: options.apiKey,
      baseUrl,
      timeoutInSeconds: (options.timeoutMs + 1000) / 1000,
      maxRetries: 0,
      fetch: junctionFetch().fetch,
    });
  }

  async ensureUser(clientUserId: string): Promise<string> {
    return this.run('ensure_user', async (budget) => {
      const userId = await this.send(budget, 'ensure_user', true, [], async (options) => {
        try {
          return (await this.sdk.user.create({ clientUserId }, options)).userId;
        } catch (err) {
          if (err instanceof junctionSdk.BadRequestError) {
            const existing = existingUserId(err.body);
            if (existing !== undefined) return existing;
          }
          throw err;
        }
      });
      if (userId !== null) return userId;
      // "Already exists" without the id: look the user up by our id.
      const user = await this.send(budget, 'ensure_user', true, [], (options) =>
        this.sdk.user.getByClientUserId({ clientUserId }, options),
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
    // The hot path of every lab-order create: the body is written and the answer read as Junction's
    // JSON (postJson), without the SDK's schema serialisation and parsing of both, which cost about
    // a tenth of labline's CPU per create. The body is typed by the SDK's own wire type, so a field
    // the SDK does not know fails the typecheck; the answer's fields labline keeps are checked by
    // mapWireOrder.
    const body: serialization.CreateOrderRequestCompatible.Raw = {
      user_id: order.userId,
      order_set: { lab_test_ids: [order.labTestId] },
      passthrough: order.passthrough,
      patient_details: {
        first_name: patient.firstName,
        last_name: patient.lastName,
        dob: patient.dob,
        gender: patient.gender,
        phone_number: patient.phoneNumber,
        email: patient.email,
      },
      patient_address: {
        receiver_name: `${patient.firstName} ${patient.lastName}`,
        first_line: address.firstLine,
        second_line: address.secondLine ?? undefined,
        city: address.city,
        state: address.state,
        zip: address.zip,
        country: address.country,
      },
    };
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (retrySafe) {
      headers['x-idempotency-key'] = idempotencyKey;
      // A refusal is not replayed under the key: the order can be sent again once its cause is
      // fixed (the user ensured again after JunctionUnknownUser).
      headers['x-idempotency-error'] = 'no-cache';
    }
    const text = JSON.stringify(body);
    return this.run('create_order', async (budget) => {
      const answer = await this.send(budget, 'create_order', retrySafe, phi, (options) =>
        this.postJson('v3/order', text, headers, options),
      );
      return mapWireOrder((answer as { order?: unknown } | null)?.order);
    });
  }

  /**
   * POST of a JSON body to the SDK's base URL with its API key header, on the same keep-alive
   * Agent as the SDK's calls, answered as JSON. Not through the SDK's passthrough `fetch`: on
   * every create it resolved its options, combined our budget's signal with a timeout signal of
   * its own, and built a Response and its body stream for the answer: work the create guard cannot
   * carry (docs/benchmarks.md, step 12, and "Issue 32: plain dependencies"). Failures are raised as the SDK's typed methods
   * raise them (JunctionError with the status and the parsed body, or with the network error as
   * its cause), so that retries and classification treat both alike.
   */
  private async postJson(
    path: string,
    body: string,
    headers: Record<string, string>,
    options: JunctionClient.RequestOptions,
  ): Promise<unknown> {
    const url = `${this.baseUrl}${path}`;
    let answer: TextAnswer;
    try {
      answer = await junctionFetch().postText(
        url,
        { ...headers, 'x-vital-api-key': this.apiKey },
        body,
        options.abortSignal!,
      );
    } catch (cause) {
      throw new junctionSdk.JunctionError({ message: 'no answer from Junction', cause });
    }
    const { status, text } = answer;
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // not JSON: kept as text, as the SDK keeps an unreadable error body
    }
    if (status < 200 || status > 299) {
      throw new junctionSdk.JunctionError({
        statusCode: status,
        body: parsed,
        rawResponse: {
          headers: new Headers(headerList(answer.headers)),
          redirected: false,
          status,
          statusText: '',
          type: 'basic',
          url,
        },
      });
    }
    if (typeof parsed !== 'object' || parsed === null)
      throw new UnexpectedJunctionAnswer('the answer is not a JSON object');
    return parsed;
  }

  async getOrder(orderId: string): Promise<JunctionOrder> {
    return this.run('get_order', async (budget) =>
      mapOrder(
        await this.send(budget, 'get_order', true, [], (o) => this.sdk.labTests.getOrder({ orderId }, o)),
      ),
    );
  }

  async findOrderByPassthrough(userId: string, passthrough: string): Promise<JunctionOrder | null> {
    return this.run('list_orders', async (budget) => {
      for (let page = 1; page <= MAX_ORDER_PAGES; page++) {
        const response = await this.send(budget, 'list_orders', true, [], (o) =>
          this.sdk.labTests.getOrders({ userId, page, size: ORDER_PAGE_SIZE }, o),
        );
        const found = response.orders.find((order) => order.passthrough === passthrough);
        if (found) return mapOrder(found);
        if (response.orders.length < ORDER_PAGE_SIZE) return null;
      }
      return null;
    });
  }

  async cancelOrder(orderId: string): Promise<JunctionOrder> {
    return this.run('cancel_order', async (budget) => {
      const response = await this.send(budget, 'cancel_order', false, [], (o) =>
        this.sdk.labTests.cancelOrder({ orderId }, o),
      );
      return mapOrder(response.order);
    });
  }

  async getResults(orderId: string): Promise<JunctionResults> {
    return this.run('get_results', async (budget) => {
      const raw = await this.send(budget, 'get_results', true, [], (o) =>
        this.sdk.labTests.getResultRaw({ orderId }, o),
      );
      return mapResults(orderId, raw);
    });
  }

  async getResultPdf(orderId: string): Promise<Uint8Array> {
    return this.download('get_result_pdf', (o) => this.sdk.labTests.getResultPdf({ orderId }, o));
  }

  async getRequisitionPdf(orderId: string): Promise<Uint8Array> {
    // The SDK's name for GET /v3/order/{id}/requisition/pdf (sic).
    return this.download('get_requisition_pdf', (o) =>
      this.sdk.labTests.getOrderRequistionPdf({ orderId }, o),
    );
  }

  /** A binary answer (a PDF), read inside the attempt: a connection lost mid-download is retried too. */
  private download(
    operation: JunctionOperation,
    request: (o: JunctionClient.RequestOptions) => Promise<{ arrayBuffer(): Promise<ArrayBuffer> }>,
  ): Promise<Uint8Array> {
    return this.run(operation, (budget) =>
      this.send(budget, operation, true, [], async (o) => {
        const binary = await request(o);
        try {
          return new Uint8Array(await binary.arrayBuffer());
        } catch (cause) {
          throw new junctionSdk.JunctionError({ message: 'the download was cut off', cause });
        }
      }),
    );
  }

  async listLabTests(): Promise<JunctionLabTest[]> {
    return this.run('list_lab_tests', async (budget) => {
      const tests = await this.send(budget, 'list_lab_tests', true, [], (o) => this.sdk.labTests.get({}, o));
      return tests.map(mapLabTest);
    });
  }

  /**
   * Sandbox only (`POST /v3/order/{id}/test`): moves an order through its lifecycle up to
   * `finalStatus` (default: completed), as the lab would. Junction then sends webhooks.
   */
  async simulateOrder(orderId: string, finalStatus?: Junction.OrderStatus): Promise<void> {
    await this.run('simulate_order', (budget) =>
      this.send(budget, 'simulate_order', false, [], (o) =>
        this.sdk.labTests.simulateOrderProcess({ orderId, finalStatus }, o),
      ),
    );
  }

  /** One call: its budget, its metric; anything unexpected in the answer is "unavailable". */
  private async run<T>(operation: JunctionOperation, call: (budget: CallBudget) => Promise<T>): Promise<T> {
    const budget = new CallBudget(this.timeoutMs);
    const started = performance.now();
    const observe = (outcome: 'ok' | 'rejected' | 'unavailable') =>
      this.metrics?.junctionDuration.observe({ operation, outcome }, (performance.now() - started) / 1000);
    try {
      const result = await call(budget);
      observe('ok');
      return result;
    } catch (err) {
      if (err instanceof JunctionRejected) observe('rejected');
      else if (err instanceof JunctionUnavailable) observe('unavailable');
      else if (err instanceof UnexpectedJunctionAnswer) {
        observe('unavailable');
        throw new JunctionUnavailable(operation, `unexpected answer (${err.message})`);
      }
      throw err;
    } finally {
      budget.dispose();
    }
  }

  /** One HTTP request, retried within the budget when `retrySafe` and the failure is not definite. */
  private async send<T>(
    budget: CallBudget,
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
        if (operation === 'create_order' && isUnknownUserAnswer(err)) {
          throw new JunctionUnknownUser(operation, (err as JunctionError).statusCode!);
        }
        const userLimit = operation === 'ensure_user' ? userLimitReason(err) : null;
        // Not retried: it holds until users are freed at Junction.
        if (userLimit !== null) throw new JunctionUserLimit(operation, userLimit);
        const classified = classifyError(err, operation, budget.expired, phi);
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
