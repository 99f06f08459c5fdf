/**
 * The `fetch` the Junction SDK is given: undici's `request()` over one keep-alive Agent of our
 * own, answering a WHATWG `Response` as the SDK expects (why not the global `fetch`:
 * docs/benchmarks.md, step 1). It must behave as `fetch` does where the client relies on it:
 * network failures reject as `TypeError('fetch failed', {cause})` with the socket error as the
 * cause (what classify-error.ts reads), an aborted signal rejects with its reason, redirects are
 * not followed (Junction's API does not redirect).
 */
import { Agent, request } from 'undici';

/** Statuses whose response has no body (a Response built with one would throw). */
const NULL_BODY = new Set([101, 204, 205, 304]);

export interface JunctionFetch {
  fetch: typeof fetch;
  close(): Promise<void>;
}

/** undici's header record as name/value pairs, a repeated header once per value (for a Response). */
function headerList(headers: Record<string, string | string[] | undefined>): [string, string][] {
  const list: [string, string][] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (Array.isArray(value)) for (const v of value) list.push([name, v]);
    else if (value !== undefined) list.push([name, value]);
  }
  return list;
}

type FetchInput = Parameters<typeof fetch>[0];
type FetchInit = NonNullable<Parameters<typeof fetch>[1]>;

function headerRecord(headers: FetchInit['headers']): Record<string, string> | undefined {
  if (headers === undefined || headers === null) return undefined;
  if (headers instanceof Headers || Array.isArray(headers))
    return Object.fromEntries(headers as Iterable<[string, string]>);
  return headers as Record<string, string>;
}

/**
 * No cap on sockets to Junction (undici's default): each call in flight holds one (HTTP/1.1), so
 * a cap would cap calls per second at cap ÷ Junction's latency; the service's own concurrency
 * bounds them instead (docs/benchmarks.md, step 7).
 */
export function createJunctionFetch(): JunctionFetch {
  const agent = new Agent({ keepAliveTimeout: 30_000 });
  /** An aborted signal rejects with its reason, anything else as `fetch failed` with the cause. */
  const failure = (err: unknown, signal: AbortSignal | undefined): unknown =>
    signal?.aborted
      ? (signal.reason ?? new DOMException('This operation was aborted', 'AbortError'))
      : new TypeError('fetch failed', { cause: err });
  const send = async (url: string, init: Parameters<typeof request>[1] & { signal?: AbortSignal }) => {
    try {
      return await request(url, { ...init, dispatcher: agent });
    } catch (err) {
      throw failure(err, init.signal);
    }
  };
  const junctionFetch = async (input: FetchInput, init: FetchInit = {}): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const signal = init.signal ?? undefined;
    const answer = await send(url, {
      method: init.method ?? 'GET',
      headers: headerRecord(init.headers),
      body: init.body as string | Buffer | null | undefined,
      signal,
    });
    let body: ArrayBuffer | null = null;
    try {
      if (NULL_BODY.has(answer.statusCode) || init.method === 'HEAD') await answer.body.dump();
      else body = await answer.body.arrayBuffer();
    } catch (err) {
      throw failure(err, signal);
    }
    return new Response(body, { status: answer.statusCode, headers: headerList(answer.headers) });
  };
  return {
    fetch: junctionFetch,
    close: () => agent.close(),
  };
}
