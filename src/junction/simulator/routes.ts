/**
 * The simulated Junction endpoints: request in, `Reply` out, in Junction's wire format
 * (snake_case bodies, FastAPI `{"detail": …}` errors). HTTP plumbing and faults live in server.ts.
 */
import type { SimulatorOperation } from './faults.js';
import { SIMULATOR_LAB_TESTS } from './catalog.js';
import { FINAL_STATUSES, LifecycleError, WALK_IN_PATH } from './lifecycle.js';
import {
  renderRequisitionPdf,
  renderResultPdf,
  RESULT_TYPES,
  simulateResults,
  type Interpretation,
  type ResultType,
} from './results.js';
import { CancelRefused, type SimOrder, type SimulatorStore } from './store.js';
import { validateOrder } from './validate-order.js';
import { labTestJson, orderJson, postOrderResponseJson, resultsJson, userJson } from './wire.js';

export interface Reply {
  status: number;
  body: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
  /** for POST /v3/order: the answer was stored under an idempotency key for the first time */
  created?: boolean;
}

export interface SimRequest {
  operation: SimulatorOperation;
  params: string[];
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  /** parsed JSON body (undefined when none was sent) */
  body: unknown;
}

export interface RouteContext {
  store: SimulatorStore;
  teamId: string;
  /** users the team may hold (the sandbox's 50); null: no cap */
  maxUsers: number | null;
  /** runs `fn` after `delaySeconds` unless the simulator closes first */
  later(delaySeconds: number, fn: () => void): void;
}

export function json(status: number, value: unknown, headers?: Record<string, string>): Reply {
  return { status, body: JSON.stringify(value), contentType: 'application/json', headers };
}

export function detail(status: number, message: unknown): Reply {
  return json(status, { detail: message });
}

function header(req: SimRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function findOrder(ctx: RouteContext, id: string | undefined): SimOrder | Reply {
  const order = id === undefined ? undefined : ctx.store.orders.get(id);
  return order ?? detail(404, 'Order not found');
}

function isReply(v: unknown): v is Reply {
  return typeof v === 'object' && v !== null && 'status' in v && 'body' in v;
}

export function handle(ctx: RouteContext, req: SimRequest): Reply {
  switch (req.operation) {
    case 'create_user':
      return createUser(ctx, req);
    case 'resolve_user': {
      const user = ctx.store.userByClientId(req.params[0] ?? '');
      return user ? json(200, userJson(user, ctx.teamId)) : detail(404, 'User not found');
    }
    case 'get_user': {
      const user = ctx.store.users.get(req.params[0] ?? '');
      return user ? json(200, userJson(user, ctx.teamId)) : detail(404, 'User not found');
    }
    case 'create_order':
      return createOrder(ctx, req);
    case 'get_order': {
      const order = findOrder(ctx, req.params[0]);
      return isReply(order) ? order : json(200, orderJson(order, ctx.teamId));
    }
    case 'list_orders':
      return listOrders(ctx, req);
    case 'cancel_order': {
      const order = findOrder(ctx, req.params[0]);
      if (isReply(order)) return order;
      try {
        ctx.store.cancel(order);
      } catch (err) {
        // Junction's documented refusal (lab/workflow/cancelling-an-order.mdx, "Error Handling").
        if (err instanceof CancelRefused)
          return json(400, { error: 'Bad Request', message: err.message, status_code: 400 });
        throw err;
      }
      return json(200, postOrderResponseJson(order, ctx.teamId, 'Order cancelled'));
    }
    case 'get_result':
      return results(ctx, req);
    case 'get_result_pdf':
      return resultPdf(ctx, req);
    case 'get_requisition_pdf':
      return requisitionPdf(ctx, req);
    case 'list_lab_tests':
      return json(200, SIMULATOR_LAB_TESTS.map(labTestJson));
    case 'simulate_order':
      return simulate(ctx, req);
  }
}

/** `GET /v3/orders?user_id=&page=&size=`: the team's orders (of one user), newest first. */
function listOrders(ctx: RouteContext, req: SimRequest): Reply {
  const userId = req.query.get('user_id');
  const page = Number(req.query.get('page') ?? '1');
  const size = Number(req.query.get('size') ?? '50');
  if (!Number.isInteger(page) || page < 1 || !Number.isInteger(size) || size < 1 || size > 100) {
    return detail(422, [{ loc: ['query', 'page'], msg: 'page ≥ 1 and size 1 to 100', type: 'value_error' }]);
  }
  const { orders, total } = userId
    ? ctx.store.ordersOfUser(userId, page, size)
    : {
        orders: [...ctx.store.orders.values()].reverse().slice((page - 1) * size, page * size),
        total: ctx.store.orders.size,
      };
  return json(200, { orders: orders.map((o) => orderJson(o, ctx.teamId)), total, page, size });
}

function createUser(ctx: RouteContext, req: SimRequest): Reply {
  const body = req.body as Record<string, unknown> | undefined;
  const clientUserId = body?.client_user_id;
  if (typeof clientUserId !== 'string' || clientUserId === '') {
    return detail(422, [{ loc: ['body', 'client_user_id'], msg: 'Field required', type: 'missing' }]);
  }
  const existing = ctx.store.userByClientId(clientUserId);
  if (existing) {
    return detail(400, {
      error_type: 'INVALID_REQUEST',
      error_message: 'Client user id already exists.',
      user_id: existing.userId,
      created_on: existing.createdOn,
    });
  }
  if (ctx.maxUsers !== null && ctx.store.users.size >= ctx.maxUsers) {
    // Junction documents the cap (api-details/junction-api.mdx), not its answer: this one is in
    // the shape of its other refusals of POST /v2/user (ClientUserIDConflictResponse).
    return detail(400, {
      error_type: 'INVALID_REQUEST',
      error_message: `Sandbox teams may have up to ${ctx.maxUsers} users; this team has reached its user limit.`,
    });
  }
  return json(200, userJson(ctx.store.createUser(clientUserId), ctx.teamId));
}

/**
 * Honours `X-Idempotency-Key` as Junction does: the first answer under a key (a created order,
 * or a definite 4xx unless `X-Idempotency-Error: no-cache`) is replayed for the key's lifetime.
 */
function createOrder(ctx: RouteContext, req: SimRequest): Reply {
  const key = header(req, 'x-idempotency-key');
  if (key !== undefined) {
    const stored = ctx.store.idempotentResponse(key);
    if (stored) return { ...stored, contentType: 'application/json' };
  }
  const valid = validateOrder(req.body, (userId) => ctx.store.users.has(userId));
  if (Array.isArray(valid)) {
    const reply = detail(422, valid);
    if (key !== undefined && header(req, 'x-idempotency-error') !== 'no-cache') {
      ctx.store.rememberResponse(key, { status: reply.status, body: reply.body as string });
    }
    return reply;
  }
  const order = ctx.store.createOrder(valid);
  const reply = json(200, postOrderResponseJson(order, ctx.teamId, 'Order created'));
  if (key !== undefined)
    ctx.store.rememberResponse(key, { status: reply.status, body: reply.body as string });
  return { ...reply, created: true };
}

/** When the results Junction holds were reported (completed, corrected, redraw_available, partial), else null. */
function resultsAvailable(order: SimOrder): string | null {
  if (order.reportedAt !== null) return order.reportedAt;
  // A sample error: the lab could not process the sample, so it reports nothing.
  if (order.events.at(-1)!.status.startsWith('failed.')) return null;
  // Partial results, once there, stay (whatever status follows).
  const partial = order.events.findLast((e) => e.status.endsWith('.partial_results'));
  return partial?.created_at ?? null;
}

function results(ctx: RouteContext, req: SimRequest): Reply {
  const order = findOrder(ctx, req.params[0]);
  if (isReply(order)) return order;
  const reportedAt = resultsAvailable(order);
  if (reportedAt === null) return detail(404, 'Lab results are not available for this order yet');
  return json(200, resultsJson(order, reportedAt));
}

function resultPdf(ctx: RouteContext, req: SimRequest): Reply {
  const order = findOrder(ctx, req.params[0]);
  if (isReply(order)) return order;
  if (order.reportedAt === null) return detail(404, 'The lab report is not available for this order yet');
  const markers = simulateResults(
    order.id,
    order.labTest,
    order.reportedAt,
    order.interpretation,
    order.resultTypes,
  );
  return {
    status: 200,
    body: renderResultPdf(order.id, order.labTest.name, markers),
    contentType: 'application/pdf',
  };
}

/** Made at `requisition_created`, as Junction makes it; kept once made. */
function requisitionPdf(ctx: RouteContext, req: SimRequest): Reply {
  const order = findOrder(ctx, req.params[0]);
  if (isReply(order)) return order;
  const made = order.events.some((e) => e.status.endsWith('.requisition_created'));
  if (!made || order.sampleId === null)
    return detail(404, 'The requisition is not available for this order yet');
  return {
    status: 200,
    body: renderRequisitionPdf(order.id, order.labTest.name, order.sampleId),
    contentType: 'application/pdf',
  };
}

const COMPLETED: string = WALK_IN_PATH[WALK_IN_PATH.length - 1]!;
const INTERPRETATIONS: Interpretation[] = ['normal', 'abnormal', 'critical'];

/** The sandbox's `POST /v3/order/{id}/test?final_status=…&delay=…`. */
function simulate(ctx: RouteContext, req: SimRequest): Reply {
  const order = findOrder(ctx, req.params[0]);
  if (isReply(order)) return order;
  // Like the sandbox, without a final status the whole process runs to completion.
  const finalStatus = req.query.get('final_status') ?? COMPLETED;
  if (!FINAL_STATUSES.includes(finalStatus)) {
    return detail(422, [
      {
        loc: ['query', 'final_status'],
        msg: `Input should be one of ${FINAL_STATUSES.join(', ')}`,
        type: 'enum',
      },
    ]);
  }
  const delayRaw = req.query.get('delay');
  const delay = delayRaw === null ? 0 : Number(delayRaw);
  if (!Number.isFinite(delay) || delay < 0) {
    return detail(422, [
      { loc: ['query', 'delay'], msg: 'Input should be a valid number', type: 'float_parsing' },
    ]);
  }
  const flags = req.body as { interpretation?: unknown; result_types?: unknown } | undefined;
  const types = flags?.result_types;
  if (types !== undefined && types !== null) {
    if (
      !Array.isArray(types) ||
      types.length === 0 ||
      !types.every((t) => (RESULT_TYPES as readonly unknown[]).includes(t))
    ) {
      return detail(422, [
        {
          loc: ['body', 'result_types'],
          msg: `Input should be a list of ${RESULT_TYPES.join(', ')}`,
          type: 'enum',
        },
      ]);
    }
    order.resultTypes = types as ResultType[];
  }
  if (
    typeof flags?.interpretation === 'string' &&
    INTERPRETATIONS.includes(flags.interpretation as Interpretation)
  ) {
    order.interpretation = flags.interpretation as Interpretation;
  }
  if (delay > 0) {
    ctx.later(delay, () => {
      try {
        ctx.store.advance(order, finalStatus);
      } catch {
        // The order moved on (e.g. was cancelled) while the simulation waited: nothing to do.
      }
    });
    return json(200, { status: 'success', message: `Simulation scheduled in ${delay} s` });
  }
  try {
    ctx.store.advance(order, finalStatus);
  } catch (err) {
    if (err instanceof LifecycleError) return detail(400, err.message);
    throw err;
  }
  return json(200, postOrderResponseJson(order, ctx.teamId, 'Simulation applied'));
}
