/**
 * The fault schedule: independent lanes (Junction's API, Junction's webhooks, PostgreSQL, the
 * processes, the failing receiver), each a seeded loop that waits, throws one fault for a while,
 * and clears it. Lanes overlap freely, so faults combine. Everything thrown is recorded with its
 * start and end, for the summary and for the checker (a 503 must fall inside a database cut).
 */
import type { Faults } from '../src/junction/simulator/faults.js';
import type { TcpProxy } from '../test/helpers/tcp-proxy.js';
import type { ManagedProcess } from './processes.js';
import { sleep } from './processes.js';
import type { ChaosReceiver, ReceiverMode } from './receivers.js';
import { Rng } from './rng.js';

export interface FaultRecord {
  lane: string;
  kind: string;
  target?: string;
  start: number;
  end: number | null;
  detail?: Record<string, unknown>;
}

export interface FaultTargets {
  seed: number;
  simulator: { url: string; apiKey: string };
  proxy: TcpProxy;
  /** what may be SIGKILLed and restarted */
  processes: ManagedProcess[];
  failingReceiver: ChaosReceiver;
  junctionTimeoutMs: number;
  endAt: number;
}

/** labline's calls; the lab's own moves (`simulate_order`) and listings stay unfaulted */
const LABLINE_OPERATIONS = [
  'create_user',
  'resolve_user',
  'get_user',
  'create_order',
  'get_order',
  'cancel_order',
  'get_result',
  'get_result_pdf',
  'get_requisition_pdf',
] as const;

export class FaultSchedule {
  readonly records: FaultRecord[] = [];
  private junction: Faults = {};
  private webhooks: Faults = {};
  private restarts: Promise<void>[] = [];

  constructor(private readonly t: FaultTargets) {}

  private async putFaults(): Promise<void> {
    const body = { ...this.junction, ...this.webhooks };
    for (let i = 0; i < 5; i++) {
      try {
        const res = await fetch(`${this.t.simulator.url}/_simulator/faults`, {
          method: 'PUT',
          headers: { 'x-vital-api-key': this.t.simulator.apiKey, 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(5000),
        });
        await res.arrayBuffer();
        if (res.ok) return;
      } catch {
        // retried
      }
      await sleep(200);
    }
    throw new Error('the simulator did not take its faults');
  }

  private async episode(
    lane: string,
    kind: string,
    durationMs: number,
    on: () => Promise<void> | void,
    off: () => Promise<void> | void,
    extra: Omit<FaultRecord, 'lane' | 'kind' | 'start' | 'end'> = {},
  ): Promise<void> {
    const record: FaultRecord = { lane, kind, start: Date.now(), end: null, ...extra };
    this.records.push(record);
    await on();
    await sleep(Math.max(0, Math.min(durationMs, this.t.endAt - Date.now())));
    await off();
    record.end = Date.now();
  }

  private async lane(name: string, gap: [number, number], step: (rng: Rng) => Promise<void>): Promise<void> {
    const rng = Rng.derive(this.t.seed, `faults:${name}`);
    for (;;) {
      const wait = rng.int(gap[0], gap[1]);
      if (Date.now() + wait >= this.t.endAt) return;
      await sleep(wait);
      await step(rng);
    }
  }

  private junctionLane(rng: Rng): Promise<void> {
    const timeout = this.t.junctionTimeoutMs;
    const kind = rng.weighted({
      latency: 3,
      slow: 1,
      errors: 3,
      rate_limited: 2,
      hang: 2,
      drop: 1,
      lost_answer: 3,
      collide: 2,
    });
    const ops = { operations: [...LABLINE_OPERATIONS] };
    const faults: Record<string, Faults> = {
      latency: { ...ops, latencyMs: rng.int(100, Math.floor(timeout * 0.6)) },
      slow: { ...ops, latencyMs: timeout + rng.int(100, 500) },
      errors: { ...ops, errorRate: rng.int(3, 8) / 10, errorStatuses: [500, 502, 503] },
      rate_limited: { ...ops, errorRate: rng.int(3, 8) / 10, errorStatuses: [429] },
      hang: { ...ops, hangRate: rng.int(2, 5) / 10 },
      drop: { ...ops, dropRate: rng.int(2, 5) / 10 },
      lost_answer: {
        ...ops,
        createThenFailRate: rng.int(4, 9) / 10,
        createThenFailMode: rng.pick(['error', 'drop'] as const),
      },
      collide: { ...ops, createAnswerDelayMs: timeout + rng.int(200, 1500), collide: true },
    };
    const chosen = faults[kind]!;
    return this.episode(
      'junction',
      kind,
      rng.int(1500, 6000),
      () => {
        this.junction = chosen;
        return this.putFaults();
      },
      () => {
        this.junction = {};
        return this.putFaults();
      },
      { detail: { ...chosen, operations: undefined } },
    );
  }

  private webhookLane(rng: Rng): Promise<void> {
    const kind = rng.weighted({ delayed: 2, duplicated: 2, out_of_order: 2 });
    const chosen: Faults =
      kind === 'delayed'
        ? { webhookDelayMs: rng.int(1000, 4000) }
        : kind === 'duplicated'
          ? { webhookDuplicateRate: rng.int(3, 8) / 10, webhookDelayMs: 300 }
          : { webhookDelayMs: rng.int(300, 1500) };
    return this.episode(
      'junction_webhooks',
      kind,
      rng.int(3000, 10_000),
      () => {
        this.webhooks = chosen;
        return this.putFaults();
      },
      () => {
        this.webhooks = {};
        return this.putFaults();
      },
      { detail: chosen as Record<string, unknown> },
    );
  }

  private databaseLane(rng: Rng): Promise<void> {
    return this.episode(
      'postgres',
      'connections_cut',
      rng.int(800, 4000),
      () => this.t.proxy.cut(),
      () => this.t.proxy.restore(),
    );
  }

  private async processLane(rng: Rng): Promise<void> {
    const target = rng.pick(this.t.processes.filter((p) => p.running));
    if (!target) return;
    const downMs = rng.int(200, 3000);
    await this.episode(
      'processes',
      'sigkill',
      downMs,
      () => target.kill(),
      () => {
        // Starting takes seconds; the lane goes on meanwhile, the restart is awaited before settling.
        // As an orchestrator would: a process that refuses to start (its database is cut off)
        // is started again a second later.
        const restart = (async () => {
          for (let attempt = 1; ; attempt++) {
            try {
              return await target.start();
            } catch (err) {
              if (attempt >= 10)
                throw new Error(`restarting ${target.spec.name}: ${(err as Error).message}`, { cause: err });
              await sleep(1000);
            }
          }
        })();
        this.restarts.push(restart);
        return restart;
      },
      { target: target.spec.name },
    );
  }

  private receiverLane(rng: Rng): Promise<void> {
    const mode = rng.weighted<Exclude<ReceiverMode, 'ok'>>({ error: 3, hang: 1, close: 2 });
    return this.episode(
      'receiver',
      mode === 'error' ? 'answers_500' : mode === 'hang' ? 'hangs' : 'closes_connection',
      rng.int(2000, 12_000),
      () => this.t.failingReceiver.setMode(mode),
      () => this.t.failingReceiver.setMode('ok'),
      { target: this.t.failingReceiver.name },
    );
  }

  /** Runs every lane until the end; resolves with every fault cleared and every process up. */
  async run(): Promise<void> {
    await Promise.all([
      this.lane('junction', [500, 4000], (r) => this.junctionLane(r)),
      this.lane('junction_webhooks', [1000, 6000], (r) => this.webhookLane(r)),
      this.lane('postgres', [3000, 12_000], (r) => this.databaseLane(r)),
      this.lane('processes', [4000, 15_000], (r) => this.processLane(r)),
      this.lane('receiver', [1000, 8000], (r) => this.receiverLane(r)),
    ]);
    await Promise.all(this.restarts);
  }

  /** the windows in which PostgreSQL was cut off */
  cuts(): { start: number; end: number }[] {
    return this.records
      .filter((r) => r.lane === 'postgres')
      .map((r) => ({ start: r.start, end: r.end ?? Date.now() }));
  }
}
