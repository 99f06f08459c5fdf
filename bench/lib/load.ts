/**
 * Load through autocannon's programmatic API: a warm-up run, then the measured run. Latencies are
 * taken from autocannon's per-response event in fractional milliseconds (its own histogram keeps
 * whole milliseconds, too coarse for ratios of 2–3 ms figures).
 */
import autocannon from 'autocannon';

export interface LoadSpec {
  url: string;
  method?: 'GET' | 'POST';
  path: string;
  connections: number;
  headers?: Record<string, string>;
  /**
   * Builds request number `n` (counted across the warm-up and the measured run): its body and any
   * headers that change per request (an Idempotency-Key).
   */
  request?: (n: number) => { body?: string; headers?: Record<string, string> };
  timeoutSeconds?: number;
}

export interface LoadResult {
  seconds: number;
  /** 2xx answers per second */
  rps: number;
  ok: number;
  non2xx: number;
  /** connection errors and timeouts */
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** CPU milliseconds per 2xx answer, of the processes `measure` was asked to watch */
  cpuMsPerRequest?: Record<string, number>;
  /** connection errors by code */
  errorKinds: Record<string, number>;
  /** latencies of the 2xx answers, ms, sorted (for merging runs) */
  samples: Float64Array;
  /** latency of 2xx answers, ms */
  latency: { p50: number; p90: number; p99: number; max: number; mean: number };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

let counter = 0;

async function runOnce(spec: LoadSpec, durationSeconds: number, onTick?: () => void, tickMs = 100): Promise<LoadResult> {
  const latencies: number[] = [];
  const baseHeaders = { 'content-type': 'application/json', ...spec.headers };
  let settle!: (r: autocannon.Result) => void;
  let fail!: (err: unknown) => void;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  const instance = autocannon(
    {
      url: spec.url,
      connections: spec.connections,
      duration: durationSeconds,
      timeout: spec.timeoutSeconds ?? 10,
      method: spec.method ?? 'GET',
      headers: baseHeaders,
      requests: [
        {
          method: spec.method ?? 'GET',
          path: spec.path,
          ...(spec.request && {
            setupRequest: (req: autocannon.Request) => {
              const { body, headers } = spec.request!(counter++);
              return { ...req, body, headers: { ...baseHeaders, ...headers } };
            },
          }),
        },
      ],
    },
    (err: unknown, result: autocannon.Result) => (err ? fail(err) : settle(result)),
  );
  // Emitted per answer with the client first (the typings describe a Client's event).
  (instance as unknown as NodeJS.EventEmitter).on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
  });
  const errorKinds: Record<string, number> = {};
  instance.on('reqError', (err: unknown) => {
    const kind = (err as { code?: string; message?: string }).code ?? (err as Error).message ?? String(err);
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
  });
  const ticker = onTick ? setInterval(onTick, tickMs) : null;
  const result = await done;
  if (ticker) clearInterval(ticker);
  const sorted = Float64Array.from(latencies).sort();
  return summarize(sorted, result.duration, result, errorKinds);
}

function summarize(
  sorted: Float64Array,
  seconds: number,
  result: Pick<autocannon.Result, 'non2xx' | 'errors' | 'timeouts' | 'statusCodeStats'>,
  errorKinds: Record<string, number>,
): LoadResult {
  const statusCodes: Record<string, number> = {};
  for (const [code, v] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = Number((v as { count: number }).count);
  const ok = sorted.length;
  return {
    seconds,
    rps: ok / seconds,
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    errorKinds,
    samples: sorted,
    latency: {
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: percentile(sorted, 100),
      mean: ok === 0 ? NaN : sorted.reduce((a, b) => a + b, 0) / ok,
    },
  };
}

/** Two runs of the same load as one: counts added, latencies merged. */
export function combine(a: LoadResult, b: LoadResult): LoadResult {
  const samples = new Float64Array(a.samples.length + b.samples.length);
  samples.set(a.samples);
  samples.set(b.samples, a.samples.length);
  samples.sort();
  const statusCodeStats: Record<string, { count: number }> = {};
  for (const r of [a, b]) {
    for (const [code, n] of Object.entries(r.statusCodes)) statusCodeStats[code] = { count: (statusCodeStats[code]?.count ?? 0) + n };
  }
  const errorKinds = { ...a.errorKinds };
  for (const [k, n] of Object.entries(b.errorKinds)) errorKinds[k] = (errorKinds[k] ?? 0) + n;
  const combined = summarize(
    samples,
    a.seconds + b.seconds,
    { non2xx: a.non2xx + b.non2xx, errors: a.errors + b.errors, timeouts: a.timeouts + b.timeouts, statusCodeStats },
    errorKinds,
  );
  const cpu: Record<string, number> = {};
  for (const r of [a, b]) {
    for (const [k, v] of Object.entries(r.cpuMsPerRequest ?? {})) cpu[k] = (cpu[k] ?? 0) + (v * r.ok) / Math.max(1, combined.ok);
  }
  if (a.cpuMsPerRequest || b.cpuMsPerRequest) {
    combined.cpuMsPerRequest = Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, Math.round(v * 100) / 100]));
  }
  return combined;
}

/**
 * Warms up for `warmSeconds`, then measures for `seconds`; `onTick` runs every `tickMs` (100) of
 * the measured run. `cpu` names processes whose CPU time (seconds so far) is read around the measured
 * run, to report CPU milliseconds per successful request.
 */
export async function measure(
  spec: LoadSpec,
  timing: { warmSeconds: number; seconds: number },
  options: { onTick?: () => void; tickMs?: number; cpu?: Record<string, () => number> } = {},
): Promise<LoadResult> {
  if (timing.warmSeconds > 0) await runOnce(spec, timing.warmSeconds);
  const cpu = Object.entries(options.cpu ?? {});
  const before = cpu.map(([, read]) => read());
  const result = await runOnce(spec, timing.seconds, options.onTick, options.tickMs);
  result.cpuMsPerRequest = Object.fromEntries(
    cpu.map(([name, read], i) => [name, Math.round(((read() - before[i]!) * 1e5) / Math.max(1, result.ok)) / 100]),
  );
  return result;
}
