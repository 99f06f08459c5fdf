/**
 * Svix-style webhook delivery: each message is signed with the `svix` package (`svix-id`,
 * `svix-timestamp`, `svix-signature`), POSTed in the background and retried with capped
 * exponential backoff until a 2xx or the attempts run out. The API answer never waits for it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'svix/dist/webhook.js'; // the webhook module alone (see src/junction/webhooks.ts)

export interface WebhookRetryOptions {
  /** total attempts per message (Svix makes 8 over hours; default 8) */
  attempts?: number;
  /** first retry delay (default 1000 ms), doubled each time */
  baseDelayMs?: number;
  /** cap of one delay (default 60 000 ms) */
  maxDelayMs?: number;
  /** time limit of one delivery attempt (default 10 000 ms) */
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
  private readonly attempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly timeoutMs: number;

  constructor(
    readonly secret: string,
    private url: string | null,
    retry: WebhookRetryOptions,
    private readonly log: (entry: Record<string, unknown>) => void,
  ) {
    this.signer = new Webhook(secret);
    this.attempts = retry.attempts ?? 8;
    this.baseDelayMs = retry.baseDelayMs ?? 1000;
    this.maxDelayMs = retry.maxDelayMs ?? 60_000;
    this.timeoutMs = retry.timeoutMs ?? 10_000;
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
    for (let attempt = 1; attempt <= this.attempts && !signal.aborted; attempt++) {
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
      if (attempt < this.attempts) {
        const delay = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
        await sleep(delay, signal);
      }
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
