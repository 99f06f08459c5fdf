/**
 * Webhook endpoint bodies on both surfaces: snake_case on the clinical surface, camelCase on the
 * workspace surface, the same fields and rules.
 */
import { Type, type TSchema } from 'typebox';
import { DELIVERY_STATUSES } from './tables.js';
import { MAX_URL_LENGTH } from './url-safety.js';

export const MAX_DESCRIPTION = 500;
/** Endpoints one brand or workspace may have (as Stripe and Svix cap them). */
export const MAX_ENDPOINTS_PER_TENANT = 20;

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Instant = Type.String({ format: 'date-time', maxLength: 64 });

export const Url = Type.String({
  minLength: 1,
  maxLength: MAX_URL_LENGTH,
  description:
    'Where events are POSTed: https in production, and never to a private or loopback address there',
  examples: ['https://example.com/webhooks/labline'],
});
export const Description = Type.String({ maxLength: MAX_DESCRIPTION, description: 'A note for people' });

export function eventTypes(types: readonly string[]) {
  return Type.Array(Type.Enum([...types], { type: 'string' }), {
    minItems: 1,
    maxItems: types.length,
    uniqueItems: true,
    description: `Event types it takes (default: all of ${types.join(', ')})`,
  });
}

export const Secret = Type.String({
  maxLength: 128,
  description: 'Standard Webhooks signing secret; shown only in the answer that created it',
  examples: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
});

export const Since = Type.String({
  format: 'date-time',
  maxLength: 64,
  description: 'Replay from this instant on',
});

export const Recovered = Type.Object({
  queued: Type.Integer({ description: 'Events queued for delivery again' }),
});

export const DeliveryStatus = Type.Enum([...DELIVERY_STATUSES], { type: 'string' });

export const PageLimit = Type.Integer({
  minimum: 1,
  maximum: 200,
  default: 50,
  description: 'Page size (default 50, at most 200)',
});
export const PageCursor = Type.String({
  minLength: 1,
  maxLength: 512,
  description: 'The cursor of the previous page',
});
export const NextCursor = Nullable(
  Type.String({ description: 'Pass as cursor for the next page; null on the last page' }),
);
export const ParamId = Type.String({ maxLength: 64 });

const DisabledReason = Nullable(
  Type.String({ description: 'Why it is disabled: by a PATCH, or after its deliveries failed' }),
);
const PreviousSecretExpiresAt = Nullable(
  Type.String({
    format: 'date-time',
    description: 'Until then, the secret it had before the last rotation signs too',
  }),
);
const EndpointId = Type.String({ examples: ['ep_665f1f77bcf86cd799439011'] });

export const ClinicalEndpoint = Type.Object(
  {
    id: EndpointId,
    brand_id: Type.String(),
    url: Type.String(),
    events: Type.Array(Type.String()),
    description: Nullable(Type.String()),
    enabled: Type.Boolean(),
    disabled_reason: DisabledReason,
    disabled_at: Nullable(Instant),
    previous_secret_expires_at: PreviousSecretExpiresAt,
    created_at: Instant,
    updated_at: Instant,
    secret: Type.Optional(Secret),
  },
  { title: 'WebhookEndpoint' },
);

export const WorkspaceEndpoint = Type.Object(
  {
    id: EndpointId,
    workspaceId: Type.String(),
    url: Type.String(),
    events: Type.Array(Type.String()),
    description: Nullable(Type.String()),
    enabled: Type.Boolean(),
    disabledReason: DisabledReason,
    disabledAt: Nullable(Instant),
    previousSecretExpiresAt: PreviousSecretExpiresAt,
    createdAt: Instant,
    updatedAt: Instant,
    secret: Type.Optional(Secret),
  },
  { title: 'WorkspaceWebhookEndpoint' },
);

const Trigger = Type.String({ description: 'event (the event itself), resend or recover' });
const NextAttemptAt = Nullable(
  Type.String({ format: 'date-time', description: 'When the next attempt is due' }),
);
const ResponseStatus = Nullable(Type.Integer({ description: "The receiver's HTTP status" }));
const AttemptError = Nullable(Type.String({ description: 'Why the attempt failed' }));
const ResponseBody = Nullable(Type.String({ description: "The receiver's answer, at most 1 KiB" }));

export const ClinicalDelivery = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    event_id: Type.String(),
    event_type: Type.String(),
    trigger: Trigger,
    status: DeliveryStatus,
    next_attempt_at: NextAttemptAt,
    created_at: Instant,
    attempts: Type.Array(
      Type.Object({
        at: Instant,
        response_status: ResponseStatus,
        error: AttemptError,
        duration_ms: Type.Integer(),
        response_body: ResponseBody,
      }),
    ),
  },
  { title: 'WebhookDelivery' },
);

export const WorkspaceDelivery = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    eventId: Type.String(),
    eventType: Type.String(),
    trigger: Trigger,
    status: DeliveryStatus,
    nextAttemptAt: NextAttemptAt,
    createdAt: Instant,
    attempts: Type.Array(
      Type.Object({
        at: Instant,
        responseStatus: ResponseStatus,
        error: AttemptError,
        durationMs: Type.Integer(),
        responseBody: ResponseBody,
      }),
    ),
  },
  { title: 'WorkspaceWebhookDelivery' },
);
