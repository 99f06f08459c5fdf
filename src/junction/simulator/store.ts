/**
 * The simulator's memory: users, orders (with their event history) and the idempotency keys of
 * `POST /v3/order`. Every change of an order is reported to `onOrderChange` (for webhooks).
 */
import { randomUUID } from 'node:crypto';
import type { SimulatorLabTest } from './catalog.js';
import {
  CANCELLED,
  CORRECTED,
  LifecycleError,
  REDRAW_AVAILABLE,
  WALK_IN_PATH,
  canCancel,
  stepsTowards,
  topLevel,
} from './lifecycle.js';
import type { Interpretation, ResultType } from './results.js';
import type { PatientAddress, PatientDetails, Physician, ValidOrder } from './validate-order.js';

export interface SimUser {
  userId: string;
  clientUserId: string;
  createdOn: string;
}

export interface SimOrderEvent {
  id: number;
  created_at: string;
  status: string;
  status_detail: string | null;
}

export interface SimOrder {
  id: string;
  userId: string;
  labTest: SimulatorLabTest;
  patientDetails: PatientDetails;
  patientAddress: PatientAddress;
  physician: Physician | null;
  priority: boolean;
  passthrough: string | null;
  /** id of the walk-in details record (`details.data.id`) */
  walkInId: string;
  sampleId: string | null;
  events: SimOrderEvent[];
  createdAt: string;
  updatedAt: string;
  /** how results come out (sandbox simulation flag) */
  interpretation: Interpretation;
  /** the result types markers cycle through (sandbox simulation flag `result_types`); default numeric */
  resultTypes?: ResultType[];
  reportedAt: string | null;
}

/** Junction refuses the cancel: the order is `lowLevel` (e.g. `partial_results`). */
export class CancelRefused extends LifecycleError {
  constructor(readonly lowLevel: string) {
    super(`Transition from ${lowLevel} to cancelled is not allowed`);
  }
}

export type OrderChange = 'labtest.order.created' | 'labtest.order.updated';

export interface StoredResponse {
  status: number;
  body: string;
}

interface IdempotencyEntry extends StoredResponse {
  expiresAt: number;
}

export interface StoreSnapshot {
  users: SimUser[];
  orders: (Omit<SimOrder, 'labTest'> & { labTest: string })[];
  idempotency: [string, IdempotencyEntry][];
  nextEventId: number;
  nextSample: number;
}

export class SimulatorStore {
  readonly users = new Map<string, SimUser>();
  private readonly usersByClientId = new Map<string, SimUser>();
  readonly orders = new Map<string, SimOrder>();
  private readonly idempotency = new Map<string, IdempotencyEntry>();
  private nextEventId = 1;
  private nextSample = 100_000;

  constructor(
    private readonly idempotencyTtlMs: number,
    private readonly onOrderChange: (change: OrderChange, order: SimOrder) => void,
  ) {}

  userByClientId(clientUserId: string): SimUser | undefined {
    return this.usersByClientId.get(clientUserId);
  }

  createUser(clientUserId: string): SimUser {
    const user: SimUser = { userId: randomUUID(), clientUserId, createdOn: new Date().toISOString() };
    this.users.set(user.userId, user);
    this.usersByClientId.set(clientUserId, user);
    return user;
  }

  createOrder(valid: ValidOrder): SimOrder {
    const now = new Date().toISOString();
    const order: SimOrder = {
      id: randomUUID(),
      userId: valid.userId,
      labTest: valid.labTest,
      patientDetails: valid.patientDetails,
      patientAddress: valid.patientAddress,
      physician: valid.physician,
      passthrough: valid.passthrough,
      priority: valid.priority,
      walkInId: randomUUID(),
      sampleId: null,
      events: [this.event(WALK_IN_PATH[0], now)],
      createdAt: now,
      updatedAt: now,
      interpretation: 'normal',
      reportedAt: null,
    };
    this.orders.set(order.id, order);
    this.onOrderChange('labtest.order.created', order);
    return order;
  }

  currentStatus(order: SimOrder): string {
    return order.events[order.events.length - 1]!.status;
  }

  /** Moves the order towards `finalStatus` (see `stepsTowards`); one event and one webhook per step. */
  advance(order: SimOrder, finalStatus?: string): SimOrder {
    for (const status of stepsTowards(this.currentStatus(order), finalStatus)) this.apply(order, status);
    return order;
  }

  /** Cancels the order; throws (with the low-level status it is in) when Junction would refuse. */
  cancel(order: SimOrder): SimOrder {
    const current = this.currentStatus(order);
    if (!canCancel(current)) throw new CancelRefused(current.slice(current.lastIndexOf('.') + 1));
    this.apply(order, CANCELLED);
    return order;
  }

  /**
   * Puts the order in `status` whatever it is, documented or not (tests: a status Junction adds in
   * a later release), with its event and webhook.
   */
  setStatus(order: SimOrder, status: string): SimOrder {
    this.apply(order, status);
    return order;
  }

  private apply(order: SimOrder, status: string): void {
    // Each change is strictly later than the one before, as Junction's are: a receiver tells two
    // changes within one top-level step apart by it, and a sandbox run makes several in a millisecond.
    const now = new Date(Math.max(Date.now(), Date.parse(order.updatedAt) + 1)).toISOString();
    order.events.push(this.event(status, now));
    order.updatedAt = now;
    // The requisition number doubles as the sample id, as on a real PSC requisition.
    if (order.sampleId === null && status !== WALK_IN_PATH[0] && topLevel(status) !== 'cancelled') {
      order.sampleId = `SIM${this.nextSample++}`;
    }
    // Results are reported at completion, again at each correction, and at redraw_available.
    if (topLevel(status) === 'completed' || status === REDRAW_AVAILABLE || status === CORRECTED)
      order.reportedAt = now;
    this.onOrderChange('labtest.order.updated', order);
  }

  private event(status: string, at: string): SimOrderEvent {
    return {
      id: this.nextEventId++,
      created_at: at,
      status,
      status_detail: topLevel(status) === 'failed' ? 'sample_hemolyzed' : null,
    };
  }

  idempotentResponse(key: string): StoredResponse | undefined {
    const entry = this.idempotency.get(key);
    if (entry && entry.expiresAt <= this.now()) {
      this.idempotency.delete(key);
      return undefined;
    }
    return entry;
  }

  rememberResponse(key: string, response: StoredResponse): void {
    if (this.idempotency.size > 0 && this.idempotency.size % 1000 === 0) this.purgeExpired();
    this.idempotency.set(key, { ...response, expiresAt: this.now() + this.idempotencyTtlMs });
  }

  /** Everything the store remembers, as JSON (lab tests by id), so a demo can survive a restart. */
  snapshot(): StoreSnapshot {
    return {
      users: [...this.users.values()],
      orders: [...this.orders.values()].map((o) => ({ ...o, labTest: o.labTest.id })),
      idempotency: [...this.idempotency.entries()],
      nextEventId: this.nextEventId,
      nextSample: this.nextSample,
    };
  }

  restore(snap: StoreSnapshot, labTest: (id: string) => SimulatorLabTest | undefined): void {
    for (const user of snap.users) {
      this.users.set(user.userId, user);
      this.usersByClientId.set(user.clientUserId, user);
    }
    for (const o of snap.orders) {
      const test = labTest(o.labTest);
      if (test) this.orders.set(o.id, { ...o, labTest: test });
    }
    for (const [key, entry] of snap.idempotency) this.idempotency.set(key, entry);
    this.nextEventId = snap.nextEventId;
    this.nextSample = snap.nextSample;
  }

  /** The clock of idempotency keys: real time, plus what tests moved it forward by. */
  private clockOffsetMs = 0;
  private now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  advanceClock(ms: number): void {
    this.clockOffsetMs += ms;
  }

  /** A user's orders, newest first, a page at a time (pages from 1). */
  ordersOfUser(userId: string, page: number, size: number): { orders: SimOrder[]; total: number } {
    const all = [...this.orders.values()].filter((o) => o.userId === userId).reverse();
    return { orders: all.slice((page - 1) * size, page * size), total: all.length };
  }

  private purgeExpired(): void {
    const now = this.now();
    for (const [key, entry] of this.idempotency) if (entry.expiresAt <= now) this.idempotency.delete(key);
  }
}
