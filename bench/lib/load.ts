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
/** Seconds the load runs on after its window, so that the window's last answers are not cut short. */
const TAIL_SECONDS = 1;

/**
 * One autocannon run of `warmSeconds + seconds` (and a short tail, so that the connections stay
 * busy to the window's end): answers are counted, and their latencies kept, when they arrive in
 * the window of `seconds` that follows the warm-up; `onTick` runs every `tickMs` (100) on average,
 * at random intervals of half to one and a half times it (a load that comes in waves, such as
 * 400 requests each a second long, would be sampled at the same phase of every wave), during the
 * window, and `cpu` names processes whose CPU time (seconds so far) is read at the window's ends,
 * to report CPU milliseconds per successful request. The warm-up and the window share their
 * connections, so the window sees the load's steady state: a fresh set of connections would start
 * in lockstep, and with a 1-second upstream its first second could hold no answer at all. Error
 * answers and connection errors are counted over the whole run, warm-up included.
 */
export async function measure(
  spec: LoadSpec,
  timing: { warmSeconds: number; seconds: number },
  options: { onTick?: () => void; tickMs?: number; cpu?: Record<string, () => number> } = {},
): Promise<LoadResult> {
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
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
      duration: timing.warmSeconds + timing.seconds + TAIL_SECONDS,
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
  let inWindow = timing.warmSeconds === 0;
  // Emitted per answer with the client first (the typings describe a Client's event).
  (instance as unknown as NodeJS.EventEmitter).on(
    'response',
    (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      if (!inWindow) return;
      statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    },
  );
  const errorKinds: Record<string, number> = {};
  instance.on('reqError', (err: unknown) => {
    const kind = (err as { code?: string; message?: string }).code ?? (err as Error).message ?? String(err);
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
  });
  const cpu = Object.entries(options.cpu ?? {});
  let cpuBefore: number[] = [];
  let cpuAfter: number[] | null = null;
  let ticker: NodeJS.Timeout | null = null;
  const tick = () => {
    ticker = setTimeout(
      () => {
        options.onTick!();
        tick();
      },
      (options.tickMs ?? 100) * (0.5 + Math.random()),
    );
  };
  const open = () => {
    inWindow = true;
    cpuBefore = cpu.map(([, read]) => read());
    if (options.onTick) tick();
  };
  const close = () => {
    inWindow = false;
    cpuAfter = cpu.map(([, read]) => read());
    if (ticker) clearTimeout(ticker);
  };
  if (inWindow) open();
  const opening = inWindow ? null : setTimeout(open, timing.warmSeconds * 1000);
  const closing = setTimeout(close, (timing.warmSeconds + timing.seconds) * 1000);
  let result: autocannon.Result;
  try {
    result = await done;
  } finally {
    if (opening) clearTimeout(opening);
    clearTimeout(closing);
    if (ticker) clearTimeout(ticker);
  }
  if (cpuAfter === null) close();
  const sorted = Float64Array.from(latencies).sort();
  const summary = summarize(sorted, timing.seconds, { ...result, statusCodes }, errorKinds);
  if (cpu.length > 0) {
    summary.cpuMsPerRequest = Object.fromEntries(
      cpu.map(([name], i) => [
        name,
        Math.round(((cpuAfter![i]! - cpuBefore[i]!) * 1e5) / Math.max(1, summary.ok)) / 100,
      ]),
    );
  }
  return summary;
}

function summarize(
  sorted: Float64Array,
  seconds: number,
  result: Pick<autocannon.Result, 'non2xx' | 'errors' | 'timeouts'> & { statusCodes: Record<string, number> },
  errorKinds: Record<string, number>,
): LoadResult {
  const { statusCodes } = result;
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
  const statusCodes: Record<string, number> = {};
  for (const r of [a, b]) {
    for (const [code, n] of Object.entries(r.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
  }
  const errorKinds = { ...a.errorKinds };
  for (const [k, n] of Object.entries(b.errorKinds)) errorKinds[k] = (errorKinds[k] ?? 0) + n;
  const combined = summarize(
    samples,
    a.seconds + b.seconds,
    {
      non2xx: a.non2xx + b.non2xx,
      errors: a.errors + b.errors,
      timeouts: a.timeouts + b.timeouts,
      statusCodes,
    },
    errorKinds,
  );
  const cpu: Record<string, number> = {};
  for (const r of [a, b]) {
    for (const [k, v] of Object.entries(r.cpuMsPerRequest ?? {}))
      cpu[k] = (cpu[k] ?? 0) + (v * r.ok) / Math.max(1, combined.ok);
  }
  if (a.cpuMsPerRequest || b.cpuMsPerRequest) {
    combined.cpuMsPerRequest = Object.fromEntries(
      Object.entries(cpu).map(([k, v]) => [k, Math.round(v * 100) / 100]),
    );
  }
  return combined;
}
