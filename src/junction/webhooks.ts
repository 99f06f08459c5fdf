/**
 * Incoming Junction webhooks: Svix-signed (`svix-id`, `svix-timestamp`, `svix-signature`).
 * Svix's scheme is Standard Webhooks under other header names, so a delivery is verified over
 * the raw body with `standardwebhooks` (the library labline signs its own webhooks with), its
 * headers read under their `svix-` names; a timestamp more than five minutes off is refused.
 * The order inside is parsed with the official SDK's schema and mapped like the client's
 * answers, so the webhook route and the client speak the same `JunctionOrder`.
 */
import { junctionSdk } from './sdk.js';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { mapOrder, UnexpectedJunctionAnswer } from './mapping.js';
import type { JunctionOrder } from './types.js';

export const JUNCTION_ORDER_EVENTS = ['labtest.order.created', 'labtest.order.updated'] as const;
export type JunctionOrderEventType = (typeof JUNCTION_ORDER_EVENTS)[number];

/** The body Junction POSTs, as sent (snake_case). `data` is a ClientFacingOrder for order events. */
export interface JunctionWebhookPayload {
  event_type: string;
  user_id?: string | null;
  client_user_id?: string | null;
  team_id?: string | null;
  data: unknown;
}

export interface JunctionWebhookEvent {
  /** `svix-id`: the same on every redelivery of one message, so de-duplicate on it */
  messageId: string;
  /** when this delivery was signed (`svix-timestamp`) */
  timestamp: Date;
  eventType: string;
  userId: string | null;
  clientUserId: string | null;
  teamId: string | null;
  /** the order for `labtest.order.*` events; null for event types labline does not use */
  order: JunctionOrder | null;
}

export type JunctionWebhookFailure =
  'missing_headers' | 'bad_signature' | 'stale_timestamp' | 'malformed_payload';

/** The webhook is not authentic, not fresh, or not readable: answer 4xx and ignore it. */
export class JunctionWebhookError extends Error {
  constructor(
    readonly failure: JunctionWebhookFailure,
    message: string,
  ) {
    super(message);
    this.name = 'JunctionWebhookError';
  }
}

export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const v = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

const verifiers = new Map<string, Webhook>();

function verifierFor(secret: string): Webhook {
  let verifier = verifiers.get(secret);
  if (!verifier) {
    try {
      verifier = new Webhook(secret);
    } catch {
      // A configuration problem, not a bad request: deliberately not a JunctionWebhookError.
      throw new Error('the Junction webhook secret is not a valid signing secret (whsec_…)');
    }
    if (verifiers.size > 8) verifiers.clear();
    verifiers.set(secret, verifier);
  }
  return verifier;
}

function stringOrNull(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

function parseOrder(data: unknown): JunctionOrder {
  const parsed = junctionSdk.ClientFacingOrder.parse(data, {
    unrecognizedObjectKeys: 'passthrough',
    allowUnrecognizedEnumValues: true,
    allowUnrecognizedUnionMembers: true,
  });
  // The SDK's parse errors quote values (patient fields among them): report the fact only.
  if (!parsed.ok)
    throw new JunctionWebhookError(
      'malformed_payload',
      "the order in the webhook does not match Junction's schema",
    );
  try {
    return mapOrder(parsed.value);
  } catch (err) {
    if (err instanceof UnexpectedJunctionAnswer)
      throw new JunctionWebhookError('malformed_payload', err.message);
    throw err;
  }
}

/**
 * Verifies and parses one webhook delivery. `rawBody` must be the exact bytes received (as a
 * string): any re-serialisation breaks the signature. Throws `JunctionWebhookError`.
 */
export function verifyJunctionWebhook(
  secret: string,
  rawBody: string | undefined,
  headers: WebhookHeaders,
): JunctionWebhookEvent {
  const messageId = header(headers, 'svix-id');
  const timestamp = header(headers, 'svix-timestamp');
  const signature = header(headers, 'svix-signature');
  if (!messageId || !timestamp || !signature) {
    throw new JunctionWebhookError(
      'missing_headers',
      'svix-id, svix-timestamp and svix-signature are required',
    );
  }
  if (typeof rawBody !== 'string' || rawBody === '') {
    throw new JunctionWebhookError('malformed_payload', 'the webhook has no body');
  }
  let payload: unknown;
  try {
    payload = verifierFor(secret).verify(rawBody, {
      'webhook-id': messageId,
      'webhook-timestamp': timestamp,
      'webhook-signature': signature,
    });
  } catch (err) {
    if (err instanceof WebhookVerificationError) {
      if (/timestamp too (old|new)/i.test(err.message)) {
        throw new JunctionWebhookError('stale_timestamp', 'the webhook timestamp is more than 5 minutes off');
      }
      throw new JunctionWebhookError('bad_signature', 'the webhook signature does not match');
    }
    // Signature fine, body not JSON (the library parses it after checking).
    if (err instanceof SyntaxError)
      throw new JunctionWebhookError('malformed_payload', 'the webhook body is not JSON');
    throw err;
  }
  if (
    typeof payload !== 'object' ||
    payload === null ||
    typeof (payload as JunctionWebhookPayload).event_type !== 'string'
  ) {
    throw new JunctionWebhookError('malformed_payload', 'the webhook body has no event_type');
  }
  const body = payload as JunctionWebhookPayload;
  const isOrderEvent = (JUNCTION_ORDER_EVENTS as readonly string[]).includes(body.event_type);
  return {
    messageId,
    timestamp: new Date(Number(timestamp) * 1000),
    eventType: body.event_type,
    userId: stringOrNull(body.user_id),
    clientUserId: stringOrNull(body.client_user_id),
    teamId: stringOrNull(body.team_id),
    order: isOrderEvent ? parseOrder(body.data) : null,
  };
}
