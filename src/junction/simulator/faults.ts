/**
 * Fault injection: what can go wrong between labline and Junction, on demand. Shares are
 * probabilities per request (1 = every request); `times` makes a fault one-shot or N-shot.
 */

/** The simulator's operations, so a fault can target some of them. */
export const SIMULATOR_OPERATIONS = [
  'create_user',
  'resolve_user',
  'get_user',
  'create_order',
  'get_order',
  'list_orders',
  'cancel_order',
  'get_result',
  'get_result_pdf',
  'get_requisition_pdf',
  'list_lab_tests',
  'simulate_order',
] as const;
export type SimulatorOperation = (typeof SIMULATOR_OPERATIONS)[number];

export interface Faults {
  /** added before every answer (ms) */
  latencyMs?: number;
  /** share of requests answered with one of `errorStatuses` */
  errorRate?: number;
  /** default 500, 503, 429 (picked at random) */
  errorStatuses?: number[];
  /** share of requests never answered */
  hangRate?: number;
  /** share of requests whose connection is destroyed without an answer */
  dropRate?: number;
  /** share of new `POST /v3/order` requests that store the order, then lose the answer */
  createThenFailRate?: number;
  /** a new order is stored (and can be advanced, its webhooks sent) at once, its answer waits this long (ms) */
  createAnswerDelayMs?: number;
  /** how the answer is lost: a 500, or a destroyed connection (default `error`) */
  createThenFailMode?: 'error' | 'drop';
  /** only these operations are affected (default: all) */
  operations?: SimulatorOperation[];
  /** after this many injected failures, failures stop (latency stays) */
  times?: number;
  /**
   * A same-key `POST /v3/order` that arrives while the first one's answer is still on its way
   * (`createAnswerDelayMs`) answers 409 instead of the replay: the colliding-create answer.
   */
  collide?: boolean;
  /** each webhook message waits a random time up to this (ms) before its first attempt: delayed and out of order */
  webhookDelayMs?: number;
  /** share of webhook messages sent twice (same `svix-id`, each copy with its own delay) */
  webhookDuplicateRate?: number;
}

export type Failure =
  { kind: 'none' } | { kind: 'hang' } | { kind: 'drop' } | { kind: 'error'; status: number };

const RATES = ['errorRate', 'hangRate', 'dropRate', 'createThenFailRate', 'webhookDuplicateRate'] as const;

export function validateFaults(faults: Faults): Faults {
  for (const key of RATES) {
    const v = faults[key];
    if (v !== undefined && !(typeof v === 'number' && v >= 0 && v <= 1)) {
      throw new RangeError(`${key} must be a number from 0 to 1`);
    }
  }
  for (const key of ['latencyMs', 'createAnswerDelayMs', 'webhookDelayMs'] as const) {
    const v = faults[key];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0))
      throw new RangeError(`${key} must be a number >= 0`);
  }
  for (const s of faults.errorStatuses ?? []) {
    if (!Number.isInteger(s) || s < 400 || s > 599)
      throw new RangeError('errorStatuses must be HTTP error statuses');
  }
  if (faults.errorStatuses !== undefined && faults.errorStatuses.length === 0) {
    throw new RangeError('errorStatuses must not be empty');
  }
  for (const op of faults.operations ?? []) {
    if (!(SIMULATOR_OPERATIONS as readonly string[]).includes(op))
      throw new RangeError(`unknown operation ${op}`);
  }
  if (faults.times !== undefined && !(Number.isInteger(faults.times) && faults.times >= 0)) {
    throw new RangeError('times must be an integer >= 0');
  }
  if (faults.collide !== undefined && typeof faults.collide !== 'boolean') {
    throw new RangeError('collide must be true or false');
  }
  if (faults.createThenFailMode !== undefined && !['error', 'drop'].includes(faults.createThenFailMode)) {
    throw new RangeError('createThenFailMode must be error or drop');
  }
  return { ...faults };
}

/** Decides, request by request, which fault (if any) applies. */
export class FaultPlan {
  private faults: Faults = {};

  set(faults: Faults): void {
    this.faults = validateFaults(faults);
  }

  get(): Faults {
    return { ...this.faults };
  }

  latencyMs(operation: SimulatorOperation): number {
    return this.applies(operation) ? (this.faults.latencyMs ?? 0) : 0;
  }

  /** how long the answer to a new order waits after the order was stored */
  createAnswerDelayMs(): number {
    return this.applies('create_order') ? (this.faults.createAnswerDelayMs ?? 0) : 0;
  }

  /** whether a same-key create during another's delayed answer collides (409) */
  collides(): boolean {
    return this.faults.collide === true && this.applies('create_order');
  }

  /** how one webhook message is sent: after what delay, and how many times (1 or 2) */
  webhook(): { delaysMs: number[] } {
    const max = this.faults.webhookDelayMs ?? 0;
    const delay = () => (max > 0 ? Math.floor(Math.random() * max) : 0);
    const copies = Math.random() < (this.faults.webhookDuplicateRate ?? 0) ? 2 : 1;
    return { delaysMs: Array.from({ length: copies }, delay) };
  }

  /** hang, drop or error for this request, drawn from the configured shares */
  draw(operation: SimulatorOperation): Failure {
    if (!this.applies(operation) || this.faults.times === 0) return { kind: 'none' };
    const { hangRate = 0, dropRate = 0, errorRate = 0 } = this.faults;
    const r = Math.random();
    let failure: Failure = { kind: 'none' };
    if (r < hangRate) failure = { kind: 'hang' };
    else if (r < hangRate + dropRate) failure = { kind: 'drop' };
    else if (r < hangRate + dropRate + errorRate) {
      const statuses = this.faults.errorStatuses ?? [500, 503, 429];
      failure = { kind: 'error', status: statuses[Math.floor(Math.random() * statuses.length)]! };
    }
    if (failure.kind !== 'none') this.spend();
    return failure;
  }

  /** after a new order is stored: lose its answer? */
  drawCreateThenFail(): Failure {
    if (!this.applies('create_order') || this.faults.times === 0) return { kind: 'none' };
    if (Math.random() >= (this.faults.createThenFailRate ?? 0)) return { kind: 'none' };
    this.spend();
    return this.faults.createThenFailMode === 'drop' ? { kind: 'drop' } : { kind: 'error', status: 500 };
  }

  private applies(operation: SimulatorOperation): boolean {
    return this.faults.operations === undefined || this.faults.operations.includes(operation);
  }

  private spend(): void {
    if (this.faults.times !== undefined) this.faults.times--;
  }
}
