/**
 * The `fetch` the Junction SDK is given: undici's `request()` over one keep-alive Agent of our
 * own, answering a WHATWG `Response` as the SDK expects.
 *
 * Why not the global `fetch`: it is undici too, but its spec machinery (a Request object, a body
 * stream written chunk by chunk, the response's stream plumbing) is work the create guard of
 * docs/benchmarks.md cannot carry (step 1 there has the figures), for one small JSON request to
 * one origin. `request()` writes the string body in one go and hands back the bytes. Behaviour the client
 * relies on is kept: network failures reject as `TypeError('fetch failed', {cause})` with the
 * socket error as the cause (what classify-error.ts reads), an aborted signal rejects with its
 * reason, redirects are not followed (Junction's API does not redirect).
 */
import { Agent, request } from 'undici';

/** Statuses whose response has no body (a Response built with one would throw). */
const NULL_BODY = new Set([101, 204, 205, 304]);

export interface JunctionFetch {
  fetch: typeof fetch;
  /**
   * A POST of a string body whose answer is read as text, without the WHATWG Request and Response
   * objects (their body streams and signals): the lab-order create's call (client.ts, postJson).
   * Failures reject as `fetch` rejects.
   */
  postText(
    url: string,
    headers: Record<string, string>,
    body: string,
    signal: AbortSignal,
  ): Promise<TextAnswer>;
  close(): Promise<void>;
}

export interface TextAnswer {
  status: number;
  /** the answer's headers as undici gives them (lower-case names) */
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** undici's header record as name/value pairs, a repeated header once per value (for Headers or a Response). */
export function headerList(headers: TextAnswer['headers']): [string, string][] {
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
 * `connections`: most sockets to Junction at once (default: no limit). Each call in flight needs
 * its own (HTTP/1.1), so a limit caps creates per second at limit ÷ Junction's latency, below what
 * the slow-upstream guard asks for (docs/benchmarks.md). The service's own concurrency bounds them
 * instead.
 */
export function createJunctionFetch(options: { connections?: number } = {}): JunctionFetch {
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: options.connections ?? null });
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
  const postText: JunctionFetch['postText'] = async (url, headers, body, signal) => {
    const answer = await send(url, { method: 'POST', headers, body, signal });
    let text: string;
    try {
      text = await answer.body.text();
    } catch (err) {
      throw failure(err, signal);
    }
    return { status: answer.statusCode, headers: answer.headers, text };
  };
  return {
    fetch: junctionFetch,
    postText,
    close: () => agent.close(),
  };
}
