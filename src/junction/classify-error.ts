/**
 * What a failed SDK call means for labline: `JunctionUnavailable` (no definite answer: network,
 * timeout, 5xx, 429, an answer we cannot read) or `JunctionRejected` (a definite 4xx, with
 * Junction's reason). Reasons are scrubbed of patient values: FastAPI echoes request `input`s
 * and some messages quote what was sent, and these reasons reach logs and API clients.
 */
import type { JunctionError } from '@junction-api/sdk';
import { junctionSdk } from './sdk.js';
import { isRecord, UnexpectedJunctionAnswer } from './mapping.js';
import { JunctionRejected, JunctionUnavailable } from './types.js';

export interface Classified {
  error: JunctionUnavailable | JunctionRejected;
  /** from a 429/503's `Retry-After`, when present */
  retryAfterMs: number | null;
}

const MAX_REASON = 300;
/** Longest Junction text scrubbed; anything longer is cut first (it is cut to MAX_REASON anyway). */
const MAX_SCRUBBED = 4096;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Bounded on both sides so that they never cut into an id (a digit run inside a UUID).
const GENERIC_PHI = [
  /(?<![\w.+-])[^\s@"'<>(),;:]+@[^\s@"'<>(),;:]+\.[a-z]{2,}(?![\w-])/gi, // e-mail addresses
  /(?<![\w-])\+?\d[\d\s().-]{8,}\d(?![\w-])/g, // phone numbers
  /(?<![\w-])(?:\d{4}-\d{2}-\d{2}|\d{1,2}\/\d{1,2}\/\d{4})(?![\w-])/g, // dates (a dob)
];

const isWordChar = (c: string | undefined) => c !== undefined && /[\p{L}\p{N}_-]/u.test(c);

/**
 * `text` with each whole occurrence of `value` (case-insensitive, not inside a longer word or
 * id) replaced by `[redacted]`. Plain string search: no regular expression is built from a value.
 */
function redactValue(text: string, value: string): string {
  const haystack = text.toLowerCase();
  const needle = value.toLowerCase();
  // Lower-casing can change lengths for a few scripts; then only exact-case matches are safe to cut.
  const exact = haystack.length !== text.length || needle.length !== value.length;
  const hay = exact ? text : haystack;
  const find = exact ? value : needle;
  let out = '';
  let from = 0;
  for (let at = hay.indexOf(find); at !== -1; at = hay.indexOf(find, at + 1)) {
    if (at < from || isWordChar(text[at - 1]) || isWordChar(text[at + find.length])) continue;
    out += `${text.slice(from, at)}[redacted]`;
    from = at + find.length;
  }
  return out + text.slice(from);
}

/** Removes the given values (whole, case-insensitively) and anything shaped like an e-mail, phone or date. */
export function scrub(text: string, phi: readonly string[]): string {
  let out = text.length > MAX_SCRUBBED ? text.slice(0, MAX_SCRUBBED) : text;
  for (const value of phi) {
    const v = value.trim();
    if (v.length >= 2) out = redactValue(out, v);
  }
  for (const pattern of GENERIC_PHI) out = out.replace(pattern, (m) => (UUID.test(m) ? m : '[redacted]'));
  return out.length > MAX_REASON ? `${out.slice(0, MAX_REASON - 1)}…` : out;
}

/**
 * Junction's explanation from an error body, without the echoed `input`s. Junction documents three
 * shapes: FastAPI's `{"detail": "…"}` and `{"detail": [{loc, msg, type, input}]}`
 * (`HTTPValidationError` in its OpenAPI document; `{"detail": {error_type, error_message}}` for a
 * user conflict, `ClientUserIDConflictResponse`), and `{"error", "message", "status_code"}`
 * (a refused cancel, `lab/workflow/cancelling-an-order.mdx`).
 */
export function describeErrorBody(body: unknown, statusCode: number): string {
  if (isRecord(body) && body.detail === undefined) {
    const { message, error } = body;
    if (typeof message === 'string' && message !== '') return message;
    if (typeof error === 'string' && error !== '') return error;
  }
  const detail = isRecord(body) ? body.detail : undefined;
  if (typeof detail === 'string' && detail !== '') return detail;
  if (Array.isArray(detail) && detail.length > 0) {
    return detail
      .map((item) => {
        if (!isRecord(item)) return 'invalid request';
        const loc = Array.isArray(item.loc) ? item.loc.filter((p) => p !== 'body').join('.') : '';
        const msg = typeof item.msg === 'string' ? item.msg : 'invalid';
        return loc ? `${loc}: ${msg}` : msg;
      })
      .join('; ');
  }
  if (isRecord(detail)) {
    for (const key of ['error_message', 'message', 'error_type'] as const) {
      const v = detail[key];
      if (typeof v === 'string' && v !== '') return v;
    }
  }
  return `HTTP ${statusCode}`;
}

function retryAfterMs(err: JunctionError): number | null {
  const value = err.rawResponse?.headers.get('retry-after');
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

function networkCode(err: unknown): string | null {
  // undici wraps the socket error: TypeError('fetch failed') → cause { code: 'ECONNRESET' … }
  for (let e: unknown = err, depth = 0; isRecord(e) || e instanceof Error; depth++) {
    if (depth > 4) break;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

/**
 * Classifies `err`; returns null for an error that is not about Junction at all (a bug in
 * labline, such as a request the SDK refuses to serialise), which the caller rethrows.
 */
export function classifyError(
  err: unknown,
  operation: string,
  timedOut: boolean,
  phi: readonly string[],
): Classified | null {
  const unavailable = (reason: string, retryAfter: number | null = null): Classified => ({
    error: new JunctionUnavailable(operation, reason),
    retryAfterMs: retryAfter,
  });
  if (timedOut || err instanceof junctionSdk.JunctionTimeoutError)
    return unavailable('no answer within the time budget');
  if (err instanceof UnexpectedJunctionAnswer) return unavailable(`unexpected answer (${err.message})`);
  if (err instanceof junctionSdk.JunctionError) {
    const status = err.statusCode;
    // The SDK's own per-request timeout aborts fetch with the bare string "timeout".
    if (status === undefined && err.cause === 'timeout')
      return unavailable('no answer within the time budget');
    if (status === undefined) return unavailable(`network error (${networkCode(err.cause) ?? 'no answer'})`);
    if (status === 429) return unavailable('rate limited (429)', retryAfterMs(err));
    // A create that collides with one still running under the same X-Idempotency-Key: Junction
    // saves no answer for it and says to retry (lab/overview/idempotency.mdx); its status is
    // undocumented, 409 is the usual one. Never a refusal of the order.
    if (status === 409 && operation === 'create_order')
      return unavailable('a create with the same idempotency key is still running (409)', retryAfterMs(err));
    if (status >= 500) return unavailable(`server error (${status})`, retryAfterMs(err));
    if (status >= 400) {
      return {
        error: new JunctionRejected(operation, status, scrub(describeErrorBody(err.body, status), phi)),
        retryAfterMs: null,
      };
    }
    return unavailable(`unreadable answer (${status})`);
  }
  // The SDK could not parse a successful answer against its schema.
  if (err instanceof Error && err.name === 'ParseError')
    return unavailable('answer does not match the SDK schema');
  return null;
}
