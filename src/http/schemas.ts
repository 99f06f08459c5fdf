import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';

/** A date of birth: a real calendar date YYYY-MM-DD before today (format `past-date`, validation.ts). */
export const PastDate = (options: { description?: string; examples?: string[] } = {}) =>
  Type.String({ format: 'past-date', minLength: 10, maxLength: 10, ...options });

/** The longest brand id any route accepts. */
export const MAX_BRAND_ID = 128;
/** A brand id as the webhook endpoint and API key bodies take it. */
export const BrandId = Type.String({ minLength: 1, maxLength: MAX_BRAND_ID, examples: ['demo-brand'] });

/** The body of every error response (docs/design.md). */
export const ErrorResponse = Type.Object(
  {
    error: Type.String({ description: 'snake_case error code', examples: ['validation_error'] }),
    message: Type.String({ description: 'A human-readable sentence' }),
    details: Type.Optional(
      Type.Array(Type.Object({ path: Type.String(), message: Type.String() }), {
        description: 'Field-level problems, when the request body or query failed validation',
      }),
    ),
  },
  { title: 'Error' },
);

const DESCRIPTIONS: Record<number, string> = {
  400: 'Validation error',
  401: 'Missing, invalid or expired bearer token',
  403: 'The token lacks the scope, brand or permission this needs',
  404: 'Not found',
  409: 'Idempotency key conflict',
  413: 'Request body too large',
  415: 'Unsupported content type',
  422: 'Validation error on ids, tests, coupon, referral or transition',
  502: 'Junction API error',
  503: 'Temporarily unavailable',
};

/** Response schemas for the given error statuses, for a route's `schema.response`. */
export function errorResponses<S extends number>(...statuses: S[]): Record<S, typeof ErrorResponse> {
  const out = {} as Record<S, typeof ErrorResponse>;
  for (const s of statuses) {
    out[s] = { ...ErrorResponse, description: DESCRIPTIONS[s] ?? 'Error' } as typeof ErrorResponse;
  }
  return out;
}

/**
 * Sends JSON text that is already serialized (a stored idempotent answer, or one about to be
 * stored), bypassing the route's serializer so the bytes are exactly the ones kept.
 */
export function sendJsonText(reply: FastifyReply, status: number, text: string): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(text);
}
