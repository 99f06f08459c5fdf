/**
 * The error catalogue: every error a client can see has a snake_case code, an HTTP status
 * and a sentence. Routes throw `HttpError`s; one handler (error-handler.ts) renders them.
 */
export interface ErrorDetail {
  /** JSON pointer-ish location, e.g. `/patient/email` or `querystring/limit` */
  path: string;
  message: string;
}

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetail[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'HttpError';
  }

  toBody(): ErrorBody {
    return this.details && this.details.length > 0
      ? { error: this.code, message: this.message, details: this.details }
      : { error: this.code, message: this.message };
  }
}

export interface ErrorBody {
  error: string;
  message: string;
  details?: ErrorDetail[];
}

export const Errors = {
  validation: (message: string, details?: ErrorDetail[]) =>
    new HttpError(400, 'validation_error', message, details),
  malformedJson: (message: string) => new HttpError(400, 'malformed_json', message),
  invalidCursor: () =>
    new HttpError(
      400,
      'invalid_cursor',
      "The cursor is not one this service returned; pass the previous page's cursor unchanged.",
      [{ path: 'querystring:/cursor', message: 'is not a valid cursor' }],
    ),
  missingIdempotencyKey: () =>
    new HttpError(400, 'missing_idempotency_key', 'The Idempotency-Key header is required for this request.'),
  invalidIdempotencyKey: () =>
    new HttpError(
      400,
      'invalid_idempotency_key',
      'The Idempotency-Key header must be 1 to 255 printable ASCII characters.',
    ),
  invalidWebhookUrl: (reason: string) =>
    new HttpError(400, 'invalid_webhook_url', `The webhook URL is not accepted: ${reason}`, [
      { path: '/url', message: reason },
    ]),
  webhookEndpointLimit: (max: number) =>
    new HttpError(
      409,
      'webhook_endpoint_limit',
      `A brand or workspace may have at most ${max} webhook endpoints; delete one first.`,
    ),
  webhookEndpointDisabled: () =>
    new HttpError(
      409,
      'webhook_endpoint_disabled',
      'The webhook endpoint is disabled; enable it (PATCH {"enabled": true}) first.',
    ),
  patientIncomplete: (missing: string[]) =>
    new HttpError(
      400,
      'patient_incomplete',
      `The patient's ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} unknown: send them in this request or store them with PUT /v1/patients/{patientId}.`,
      missing.map((m) => ({ path: m, message: 'is required for a Junction order' })),
    ),
  unauthenticated: (message = 'A valid bearer token is required.') =>
    new HttpError(401, 'unauthenticated', message, undefined, { 'www-authenticate': 'Bearer' }),
  insufficientScope: (scope: string) =>
    new HttpError(403, 'insufficient_scope', `This request needs the "${scope}" scope.`, undefined, {
      'www-authenticate': `Bearer error="insufficient_scope", scope="${scope}"`,
    }),
  brandForbidden: (brandId: string) =>
    new HttpError(403, 'brand_forbidden', `This token may not act for brand "${brandId}".`),
  forbidden: (message: string) => new HttpError(403, 'forbidden', message),
  notFound: (message = 'Not found.') => new HttpError(404, 'not_found', message),
  routeNotFound: (method: string, url: string) =>
    new HttpError(404, 'not_found', `No route ${method} ${url.split('?')[0] ?? ''}.`),
  methodNotAllowed: (method: string) =>
    new HttpError(405, 'method_not_allowed', `Method ${method} is not allowed here.`),
  /** A create that would duplicate something unique (a member, a catalog test id, a coupon code). */
  conflict: (message: string) => new HttpError(409, 'conflict', message),
  /** A change that would leave a workspace without an owner. */
  lastOwner: (message: string) => new HttpError(409, 'last_owner', message),
  idempotencyKeyReused: () =>
    new HttpError(
      409,
      'idempotency_key_reused',
      'This Idempotency-Key was already used with a different request body.',
    ),
  idempotencyKeyInProgress: () =>
    new HttpError(
      409,
      'idempotency_key_in_progress',
      'A request with this Idempotency-Key is still being processed; retry shortly.',
      undefined,
      { 'retry-after': '1' },
    ),
  payloadTooLarge: (limit: number) =>
    new HttpError(413, 'payload_too_large', `The request body must not exceed ${limit} bytes.`),
  unsupportedMediaType: (type: string | undefined) =>
    new HttpError(
      415,
      'unsupported_media_type',
      `Content-Type ${type ? `"${type}"` : '(none)'} is not supported; send application/json.`,
    ),
  /** A path or body id that is not a 24-hex ObjectId (the workspace surface). */
  invalidId: (field: string) =>
    new HttpError(422, 'invalid_id', `${field} must be a 24-character hexadecimal ObjectId.`, [
      { path: field, message: 'is not an ObjectId' },
    ]),
  unknownLabTests: (testIds: readonly number[], path: string) =>
    new HttpError(
      422,
      'unknown_lab_tests',
      `Unknown lab tests: ${testIds.join(', ')}.`,
      testIds.map((id) => ({ path, message: `${id} is not a known lab test` })),
    ),
  invalidCoupon: (message: string) =>
    new HttpError(422, 'invalid_coupon', message, [{ path: '/labCouponCode', message }]),
  invalidReferral: (message: string) =>
    new HttpError(422, 'invalid_referral', message, [{ path: '/referralId', message }]),
  /** A status move a lifecycle does not allow: a lab visit's, or a demo order's at the simulator. */
  invalidTransition: (message: string) => new HttpError(422, 'invalid_transition', message),
  panelNotConfigured: (panelId: string, brandId: string) =>
    new HttpError(
      400,
      'panel_not_configured',
      `Panel "${panelId}" has no Junction lab test for brand "${brandId}"; set one with PUT /v1/brands/{brandId}/panels/{panelId}.`,
    ),
  orderNotCancellable: (message: string) => new HttpError(409, 'order_not_cancellable', message),
  /** The demo's advance route: an order Junction has not accepted yet. */
  orderNotSubmitted: (status: string) => new HttpError(409, 'order_not_submitted', `The order is ${status}.`),
  resultsNotAvailable: (status: string) =>
    new HttpError(
      404,
      'results_not_available',
      `Junction has no results for this order yet; it is ${status}. Results are served as soon as Junction ` +
        'has them: partial results while the sample is with the lab, then final ones (completed, corrected, or ' +
        'redraw_available).',
    ),
  requisitionNotApplicable: (message: string) => new HttpError(409, 'requisition_not_applicable', message),
  requisitionNotAvailable: () =>
    new HttpError(
      404,
      'requisition_not_available',
      'Junction has not made the requisition yet: it is ready once the order reaches ' +
        "received.walk_in_test.requisition_created (see the order's events).",
    ),
  malformedWebhook: (reason: string) =>
    new HttpError(400, 'malformed_webhook', `The webhook is not readable: ${reason}.`),
  invalidSignature: (reason: string) =>
    new HttpError(401, 'invalid_signature', `The webhook could not be verified: ${reason}.`),
  /** A request Fastify refuses before any route runs (a malformed URL, a wrong Content-Length). */
  badRequest: (message: string, status = 400) => new HttpError(status, 'bad_request', message),
  /** A new visit or referral for a client that was archived. */
  clientArchived: (path: string) =>
    new HttpError(422, 'client_archived', 'The client is archived: an archived client takes no new visits.', [
      { path, message: 'is an archived client' },
    ]),
  junctionUnavailable: (message = 'Junction did not answer in time; retry with the same Idempotency-Key.') =>
    new HttpError(502, 'junction_unavailable', message),
  /**
   * Junction refused to make a Junction user for the patient: the team holds as many as it may (a
   * sandbox team, 50). The order stays resumable under its Idempotency-Key.
   */
  junctionUserLimit: (reason: string) =>
    new HttpError(
      502,
      'junction_user_limit',
      `Junction refused to create a user for this patient because the Junction team has reached its user limit ` +
        `(a sandbox team may hold 50 users). Free users in Junction's dashboard, or use a team with room, then ` +
        `retry with the same Idempotency-Key. Junction said: ${reason}`,
    ),
  junctionRejected: (reason: string) =>
    new HttpError(502, 'junction_rejected', `Junction rejected the request: ${reason}`),
  unavailable: (message: string) =>
    new HttpError(503, 'service_unavailable', message, undefined, { 'retry-after': '1' }),
  internal: () => new HttpError(500, 'internal_error', 'An unexpected error occurred; it has been logged.'),
} as const;
