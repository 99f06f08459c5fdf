/**
 * Delivering an endpoint's due deliveries (docs/webhooks.md): a batch of at most
 * WEBHOOK_CONCURRENCY_PER_ENDPOINT leased at once and sent concurrently, each attempt recorded,
 * retries spaced by WEBHOOK_RETRY_SCHEDULE, the endpoint disabled once every delivery has failed
 * for WEBHOOK_DISABLE_AFTER_HOURS. Log lines carry ids, statuses and durations only: never the
 * URL (it may hold a token), the body or the receiver's answer.
 */
import type { Logger } from 'pino';
import type { WebhookConfig } from '../config.js';
import type { Database } from '../db/database.js';
import { describeError } from '../http/logging.js';
import type { Metrics } from '../http/metrics.js';
import {
  claimDue,
  recordAttempt,
  type AttemptResult,
  type ClaimedDelivery,
} from './deliveries-repository.js';
import { signingSecrets } from './endpoints-repository.js';
import { sendWebhook } from './send.js';
import { signatureHeader } from './signing.js';
import type { DeliveryAttempt } from './tables.js';
import type { Resolve, UrlPolicy } from './url-safety.js';

/** Where delivery finds an event's JSON: exactly the body its GET route answers; null once purged. */
export type EventJson = (eventId: string) => Promise<string | null>;

export interface DeliveryDeps {
  database: Database;
  config: WebhookConfig;
  policy: UrlPolicy;
  eventJson: EventJson;
  logger: Logger;
  metrics?: Metrics;
  resolve?: Resolve;
}

/** A lease outlives the attempt it covers: the deadline, and time to record the outcome. */
export function deliveryLeaseMs(config: WebhookConfig): number {
  return config.timeoutMs + 10_000;
}

export const USER_AGENT = 'labline-webhooks/1';

/**
 * Sends the endpoint's due deliveries, batch after batch, until none is due, `budgetMs` has
 * passed or `signal` aborts. Returns how many attempts it made.
 */
export async function drainEndpoint(
  deps: DeliveryDeps,
  endpointId: string,
  options: { budgetMs: number; signal?: AbortSignal },
): Promise<{ attempts: number; more: boolean }> {
  const until = Date.now() + options.budgetMs;
  let attempts = 0;
  for (;;) {
    if (options.signal?.aborted) return { attempts, more: true };
    const batch = await claimDue(
      deps.database,
      endpointId,
      deps.config.concurrencyPerEndpoint,
      deliveryLeaseMs(deps.config),
    );
    if (batch.length === 0) return { attempts, more: false };
    await Promise.all(batch.map((delivery) => attempt(deps, endpointId, delivery)));
    attempts += batch.length;
    if (Date.now() >= until) return { attempts, more: true };
  }
}

async function attempt(deps: DeliveryDeps, endpointId: string, delivery: ClaimedDelivery): Promise<void> {
  const { config } = deps;
  const at = new Date();
  const body = await deps.eventJson(delivery.eventId);
  let outcome: {
    ok: boolean;
    status: number | null;
    error: string | null;
    durationMs: number;
    responseBody: string | null;
  };
  if (body === null) {
    outcome = {
      ok: false,
      status: null,
      error: 'the event no longer exists (past retention)',
      durationMs: 0,
      responseBody: null,
    };
  } else {
    outcome = await sendWebhook({
      url: delivery.url,
      policy: deps.policy,
      timeoutMs: config.timeoutMs,
      body,
      headers: {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        'webhook-id': delivery.eventId,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': signatureHeader(signingSecrets(delivery, at), delivery.eventId, at, body),
      },
      ...(deps.resolve ? { resolve: deps.resolve } : {}),
    });
  }
  // attemptCount attempts were made before this one; schedule[k] is the wait after attempt k + 1.
  const wait = body === null ? undefined : config.retrySchedule[delivery.attemptCount];
  const retryAt = outcome.ok || wait === undefined ? null : new Date(Date.now() + wait * 1000);
  const record: DeliveryAttempt = {
    at: at.toISOString(),
    status: outcome.status,
    error: outcome.error,
    duration_ms: outcome.durationMs,
    response_body: outcome.responseBody,
  };
  const { disabled } = await recordEvenWithoutAnswer(deps, endpointId, delivery, {
    attempt: record,
    ok: outcome.ok,
    retryAt,
  });
  const result = outcome.ok ? 'succeeded' : retryAt ? 'retrying' : 'failed';
  deps.metrics?.webhookDeliveries.inc({ outcome: result });
  deps.logger.info(
    {
      endpoint_id: endpointId,
      delivery_id: delivery.id,
      event_id: delivery.eventId,
      attempt: delivery.attemptCount + 1,
      status: outcome.status,
      error: outcome.error,
      duration_ms: outcome.durationMs,
      outcome: result,
      ...(retryAt ? { next_attempt_at: retryAt.toISOString() } : {}),
    },
    'webhook delivery attempt',
  );
  if (disabled) {
    deps.logger.warn(
      { endpoint_id: endpointId, hours: config.disableAfterHours },
      'webhook endpoint disabled: every delivery failed',
    );
  }
}

/**
 * Records an attempt. An attempt that was made counts even when its record is refused (an answer
 * the database will not store, say): it is recorded again without the receiver's answer. Left
 * unrecorded, the delivery's lease would run out and the event be sent again and again, past the
 * retry schedule, `failed` and auto-disable. Only when the database refuses that too (it is
 * unreachable) is the attempt lost, and the event is sent again once the lease runs out.
 */
async function recordEvenWithoutAnswer(
  deps: DeliveryDeps,
  endpointId: string,
  delivery: ClaimedDelivery,
  result: AttemptResult,
): Promise<{ disabled: boolean }> {
  const record = (r: AttemptResult) =>
    recordAttempt(deps.database, delivery.id, endpointId, r, deps.config.disableAfterHours);
  try {
    return await record(result);
  } catch (err) {
    deps.logger.warn(
      { endpoint_id: endpointId, delivery_id: delivery.id, err: describeError(err) },
      'webhook delivery attempt not recorded with the answer; recording it without',
    );
    const { attempt } = result;
    return record({
      ...result,
      attempt: {
        ...attempt,
        response_body: null,
        error: attempt.error ?? "the receiver's answer could not be stored",
      },
    });
  }
}
