/**
 * Svix-style webhook delivery: each message is signed as Svix signs it (Standard Webhooks, with
 * the `standardwebhooks` library that verifies it in src/junction/webhooks.ts) under Svix's header
 * names (`svix-id`, `svix-timestamp`, `svix-signature`), POSTed in the background and retried on
 * Junction's schedule (`webhooks/retry-policy.mdx`) until a 2xx or the retries run out. The API
 * answer never waits for it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/**
 * Junction's retry schedule (`webhooks/retry-policy.mdx`): after a failed attempt, retried
 * immediately, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h more. The page's example
 * ("fails four times… delivered roughly 35 minutes and 5 seconds after the initial attempt")
 * counts "immediately" as the first retry: nine attempts in all.
 */
export const JUNCTION_RETRY_SCHEDULE_MS: readonly number[] = [
  0,
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
];
/** "a 2xx… within a reasonable timeframe (15s)" (`webhooks/retry-policy.mdx`) */
export const JUNCTION_ANSWER_WITHIN_MS = 15_000;

export interface WebhookRetryOptions {
  /** the pause before each retry, in order (default Junction's, JUNCTION_RETRY_SCHEDULE_MS) */
  scheduleMs?: readonly number[];
  /**
   * Instead of a schedule, capped doubling backoff (the chaos suite's short runs): this many
   * attempts in all, the first retry after `baseDelayMs` (default 1000), doubled up to `maxDelayMs`
   * (default 60 000). Used when any of the three is given.
   */
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** multiplies every pause, so that tests run the schedule in milliseconds (default 1) */
  scale?: number;
  /** time limit of one delivery attempt (default Junction's 15 s) */
  timeoutMs?: number;
}

export interface WebhookDelivery {
  /** the `svix-id`: the same on every attempt of one message */
  id: string;
  eventType: string;
  orderId: string;
  attempts: number;
  /** status of the last attempt, or null when it got no answer */
  lastStatus: number | null;
  state: 'pending' | 'delivered' | 'failed';
}

/** delivery records kept for inspection; older ones are forgotten (benchmarks send many) */
const MAX_RECORDS = 10_000;

export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

export class WebhookSender {
  private readonly signer: Webhook;
  private readonly deliveries: WebhookDelivery[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private readonly pausesMs: number[];
  private readonly timeoutMs: number;

  constructor(
    readonly secret: string,
    private url: string | null,
    retry: WebhookRetryOptions,
    private readonly log: (entry: Record<string, unknown>) => void,
  ) {
    this.signer = new Webhook(secret);
    const scale = retry.scale ?? 1;
    if (!(Number.isFinite(scale) && scale >= 0)) throw new RangeError('webhook retry scale must be >= 0');
    const backoff =
      retry.attempts !== undefined || retry.baseDelayMs !== undefined || retry.maxDelayMs !== undefined;
    const base = retry.baseDelayMs ?? 1000;
    const schedule = backoff
      ? Array.from({ length: Math.max(0, (retry.attempts ?? 8) - 1) }, (_, i) =>
          Math.min(retry.maxDelayMs ?? 60_000, base * 2 ** i),
        )
      : (retry.scheduleMs ?? JUNCTION_RETRY_SCHEDULE_MS);
    this.pausesMs = schedule.map((ms) => ms * scale);
    this.timeoutMs = retry.timeoutMs ?? JUNCTION_ANSWER_WITHIN_MS;
  }

  setUrl(url: string | null): void {
    this.url = url;
  }

  list(): WebhookDelivery[] {
    return this.deliveries.map((d) => ({ ...d }));
  }

  /** Faults (delays, duplicates) drawn for each message; none unless set. */
  private shape: () => { delaysMs: number[] } = () => ({ delaysMs: [0] });

  setFaults(shape: () => { delaysMs: number[] }): void {
    this.shape = shape;
  }

  /** Pending, delivered and failed messages (the `failed` ones by id), for a test's settle and check. */
  summary(): { pending: number; delivered: number; failed: WebhookDelivery[] } {
    const failed = this.deliveries.filter((d) => d.state === 'failed');
    const pending = this.deliveries.filter((d) => d.state === 'pending').length;
    return { pending, delivered: this.deliveries.length - pending - failed.length, failed };
  }

  /** Queues one message; a no-op when no URL is configured (so `payload` is built lazily). */
  send(eventType: string, orderId: string, payload: () => unknown): void {
    const url = this.url;
    if (url === null || this.abort.signal.aborted) return;
    const delivery: WebhookDelivery = {
      id: `msg_${randomUUID().replaceAll('-', '')}`,
      eventType,
      orderId,
      attempts: 0,
      lastStatus: null,
      state: 'pending',
    };
    this.deliveries.push(delivery);
    if (this.deliveries.length > MAX_RECORDS) this.deliveries.splice(0, this.deliveries.length - MAX_RECORDS);
    // Serialised once: every attempt carries the same bytes, as Svix retries do.
    const body = JSON.stringify(payload());
    const [first = 0, ...copies] = this.shape().delaysMs;
    const task = this.deliver(url, delivery, body, first).finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
    for (const delayMs of copies) {
      // A duplicate: the same message (same svix-id and bytes) delivered once more, on its own.
      const copy: WebhookDelivery = { ...delivery, attempts: 0, lastStatus: null, state: 'pending' };
      this.deliveries.push(copy);
      const again = this.deliver(url, copy, body, delayMs).finally(() => this.inFlight.delete(again));
      this.inFlight.add(again);
    }
  }

  /** Resolves when every queued message is delivered or given up. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.settled();
  }

  private async deliver(url: string, delivery: WebhookDelivery, body: string, delayMs = 0): Promise<void> {
    const signal = this.abort.signal;
    if (delayMs > 0) await sleep(delayMs, signal);
    const attempts = this.pausesMs.length + 1;
    for (let attempt = 1; attempt <= attempts && !signal.aborted; attempt++) {
      delivery.attempts = attempt;
      const timestamp = new Date();
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'svix-id': delivery.id,
            'svix-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
            'svix-signature': this.signer.sign(delivery.id, timestamp, body),
          },
          body,
          signal: AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs)]),
        });
        delivery.lastStatus = response.status;
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) {
          delivery.state = 'delivered';
          return;
        }
      } catch {
        delivery.lastStatus = null;
      }
      if (attempt < attempts) await sleep(this.pausesMs[attempt - 1]!, signal);
    }
    delivery.state = 'failed';
    if (signal.aborted) return;
    this.log({
      event: 'webhook_failed',
      webhook_id: delivery.id,
      event_type: delivery.eventType,
      order_id: delivery.orderId,
      attempts: delivery.attempts,
      last_status: delivery.lastStatus,
    });
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
