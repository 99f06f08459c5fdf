/**
 * Deliberately broken runs, for the suite's own tests only (test/chaos/): CHAOS_SABOTAGE names the
 * invariants to break (comma-separated, or `all`), and the harness breaks each one from outside,
 * the way a bug would leave the system: a second Junction order for an order, a replay that
 * answers differently, an order left submitting and a job left leased, a visit priced wrong and
 * a coupon past its limit, a change without its event, a replica that hangs, a patient's name in
 * a log. The service's code has no switch for any of this; only this file reads the variable.
 */
import fs from 'node:fs';
import pg from 'pg';
import { INVARIANTS, type Invariant } from './checker.js';
import type { Recorder } from './record.js';
import type { System } from './system.js';
import { HANG_BOUND_MS } from './system.js';
import { sleep } from './processes.js';
import { PHI } from '../test/helpers/phi.js';

export function sabotaged(): Set<Invariant> {
  const raw = process.env.CHAOS_SABOTAGE ?? '';
  if (raw === '') return new Set();
  if (raw === 'all') return new Set(INVARIANTS);
  const names = raw.split(',').map((s) => s.trim());
  for (const n of names)
    if (!(INVARIANTS as readonly string[]).includes(n))
      throw new Error(`CHAOS_SABOTAGE: unknown invariant ${n}`);
  return new Set(names as Invariant[]);
}

async function sql(system: System, statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: system.databaseUrl });
  await client.connect();
  try {
    for (const s of statements) await client.query(s);
  } finally {
    await client.end();
  }
}

/** While clients run: a replica stops answering (frozen) for longer than the hang bound. */
export async function duringRun(which: Set<Invariant>, system: System): Promise<void> {
  if (!which.has('answers')) return;
  await sleep(3000);
  const replica = system.replicas[0]!;
  replica.freeze(true);
  await sleep(HANG_BOUND_MS + 3000);
  replica.freeze(false);
}

/** After settling, before the checker reads anything. */
export async function beforeCheck(which: Set<Invariant>, system: System, recorder: Recorder): Promise<void> {
  const statements: string[] = [];
  if (which.has('orders_exactly_once'))
    statements.push(
      `update lab_orders set junction_order_id = null
        where id = (select id from lab_orders where junction_order_id is not null order by created_at limit 1)`,
    );
  if (which.has('nothing_stuck')) {
    // A worker that stopped (frozen: it neither renews nor reaps leases) with a job it held.
    system.worker.freeze(true);
    statements.push(
      `update lab_orders set status = 'submitting'
        where id = (select id from lab_orders where junction_order_id is not null order by created_at desc limit 1)`,
      `insert into jobs (queue, state, locked_by, locked_until) values ('chaos.sabotage', 'running', 'nobody', now() - interval '1 minute')`,
    );
  }
  if (which.has('money'))
    statements.push(
      'alter table lab_visits drop constraint lab_visits_pricing_check',
      'update lab_visits set total_cents = total_cents + 1 where id = (select id from lab_visits order by created_at limit 1)',
      'alter table lab_coupons drop constraint lab_coupons_redemptions_check',
      'update lab_coupons set redemptions = max_redemptions + 1 where id = (select id from lab_coupons order by id limit 1)',
    );
  if (which.has('events'))
    statements.push(
      `delete from events where id = (select id from events where type = 'lab_visit.created' order by created_at limit 1)`,
    );
  let replay: ReturnType<Recorder['keys']['get']>;
  if (which.has('one_answer_per_key')) {
    replay = [...recorder.keys.values()].find(
      (k) => k.surface === 'lab_order' && k.answers[0]?.status === 201,
    );
    if (!replay) throw new Error('sabotage: no finished lab-order key to replay');
    statements.push(
      `update idempotency_keys set response_body = replace(response_body, '"status":"', '"status": "')
        where key = '${replay.key}'`,
    );
  }
  await sql(system, statements);
  if (replay) {
    const res = await fetch(`${system.replicaUrls[1]!.url}${replay.path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${replay.token}`,
        'content-type': 'application/json',
        'idempotency-key': replay.key,
      },
      body: JSON.stringify(replay.body),
    });
    recorder.keyAnswer(replay, {
      status: res.status,
      text: await res.text(),
      at: Date.now(),
      replica: 'sabotage',
    });
  }
  if (which.has('privacy'))
    fs.appendFileSync(
      system.worker.logFile,
      `${JSON.stringify({ level: 30, msg: `patient ${PHI.lastName}` })}\n`,
    );
}
