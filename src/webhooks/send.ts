/**
 * The one way a request reaches a customer's URL: the URL is checked and resolved
 * (url-safety.ts), the connection goes to the checked address (the socket's lookup answers with
 * it; TLS still verifies the certificate against the URL's host name), the whole exchange has a
 * deadline, redirects are never followed, and at most 1 KiB of the answer is kept, as storable text.
 */
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { checkWebhookUrl, UnsafeUrl, type CheckedUrl, type Resolve, type UrlPolicy } from './url-safety.js';

export const MAX_RESPONSE_BYTES = 1024;

export interface SendOutcome {
  /** 2xx within the deadline */
  ok: boolean;
  /** the receiver's HTTP status; null when it gave none (then `error` says why) */
  status: number | null;
  error: string | null;
  durationMs: number;
  /** the first 1 KiB of the receiver's answer */
  responseBody: string | null;
}

export interface SendRequest {
  url: string;
  policy: UrlPolicy;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  resolve?: Resolve;
}

/** POSTs `body` to the URL if it is (still) safe; never throws: every failure is an outcome. */
export async function sendWebhook(request: SendRequest): Promise<SendOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), request.timeoutMs);
  try {
    let target: CheckedUrl;
    try {
      target = await raceDeadline(
        checkWebhookUrl(request.url, request.policy, request.resolve),
        deadline.signal,
      );
    } catch (err) {
      const error =
        err instanceof UnsafeUrl ? `refused: ${err.reason}` : describeSendError(err, request.timeoutMs);
      return { ok: false, status: null, error, durationMs: elapsed(), responseBody: null };
    }
    const answer = await post(target, request, deadline.signal);
    const durationMs = elapsed();
    if ('error' in answer)
      return {
        ok: false,
        status: null,
        error: describeSendError(answer.error, request.timeoutMs),
        durationMs,
        responseBody: null,
      };
    const { status, body } = answer;
    const ok = status >= 200 && status < 300;
    const error = ok ? null : status >= 300 && status < 400 ? 'redirects are not followed' : `HTTP ${status}`;
    return { ok, status, error, durationMs, responseBody: body };
  } finally {
    clearTimeout(timer);
  }
}

function raceDeadline<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new DeadlineExceeded());
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

class DeadlineExceeded extends Error {
  constructor() {
    super('deadline exceeded');
    this.name = 'DeadlineExceeded';
  }
}

function post(
  target: CheckedUrl,
  request: SendRequest,
  signal: AbortSignal,
): Promise<{ status: number; body: string } | { error: unknown }> {
  const { url } = target;
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  // Every connection resolves to the address that was checked, whatever DNS says now.
  const pinned: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  const options: https.RequestOptions = {
    method: 'POST',
    headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
    // A fresh connection per delivery: a pooled socket could lead to an address checked earlier.
    agent: false,
    lookup: pinned,
    signal,
    ...(url.protocol === 'https:' && isIP(host) === 0 ? { servername: host } : {}),
  };
  return new Promise((resolve) => {
    let settled = false;
    const settle = (value: { status: number; body: string } | { error: unknown }) => {
      if (settled) return;
      settled = true;
      resolve(value);
    };
    const req = (url.protocol === 'https:' ? https : http).request(url, options, (res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let kept = 0;
      const finish = () => {
        settle({ status, body: receiverText(Buffer.concat(chunks)) });
        res.destroy();
      };
      res.on('data', (chunk: Buffer) => {
        const room = MAX_RESPONSE_BYTES - kept;
        if (room > 0) {
          chunks.push(chunk.subarray(0, room));
          kept += Math.min(room, chunk.length);
        }
        // Enough kept: the rest of the answer is not read.
        if (kept >= MAX_RESPONSE_BYTES) finish();
      });
      // The status arrived in time: a body cut short by the deadline or the receiver does not change it.
      res.on('end', finish);
      res.on('error', finish);
      res.on('close', finish);
    });
    req.on('error', (error) => settle({ error }));
    req.end(request.body);
  });
}

/**
 * A C0 or C1 control character other than tab, newline and carriage return. PostgreSQL refuses
 * NUL in text and jsonb outright; the others have no business in a log a person reads.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;

/**
 * A receiver's answer is untrusted bytes: kept as text PostgreSQL stores whatever they were.
 * Invalid UTF-8 becomes U+FFFD (the decoder), a control character its escape written out
 * (`ok\u0000bye` is kept as the 11 characters `ok\u0000bye`), and the whole at most
 * MAX_RESPONSE_BYTES characters, never cutting a surrogate pair in two.
 */
export function receiverText(bytes: Buffer): string {
  const text = bytes
    .toString('utf8')
    .replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (text.length <= MAX_RESPONSE_BYTES) return text;
  const high = text.charCodeAt(MAX_RESPONSE_BYTES - 1);
  return text.slice(0, high >= 0xd800 && high <= 0xdbff ? MAX_RESPONSE_BYTES - 1 : MAX_RESPONSE_BYTES);
}

/** A sentence for the deliveries log, from the error's code only (never a message quoting data). */
function describeSendError(err: unknown, timeoutMs: number): string {
  if (err instanceof DeadlineExceeded || (err instanceof Error && err.name === 'AbortError')) {
    return `timed out after ${timeoutMs} ms`;
  }
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'ETIMEDOUT':
      return 'connection timed out';
    case 'EPROTO':
      return 'TLS handshake failed';
    default:
      if (typeof code === 'string' && /^[A-Z0-9_]{2,64}$/.test(code)) {
        return code.startsWith('ERR_TLS') || code.includes('CERT')
          ? `TLS: ${code}`
          : `connection failed: ${code}`;
      }
      return 'connection failed';
  }
}
