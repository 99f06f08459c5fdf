/**
 * The chaos suite catches what it claims to (docs/reliability.md): a short `npm run chaos` with
 * CHAOS_SABOTAGE=all, in which the harness breaks every invariant from outside (chaos/sabotage.ts;
 * the service has no such switch), exits 1 and reports each invariant broken, with the evidence
 * that names what was broken. PostgreSQL only: the suite runs replicas on a server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { INVARIANTS } from '../../chaos/checker.js';
import type { Summary } from '../../chaos/run.js';
import { spawnTs } from '../helpers/process.js';
import { onPostgres } from '../helpers/skip.js';

onPostgres.describe('a sabotaged chaos run', () => {
  const dir = path.resolve('test-artifacts/chaos');

  it('reports every invariant broken, and exits 1', async () => {
    fs.mkdirSync(dir, { recursive: true });
    const out = path.join(dir, 'sabotaged-summary.json');
    const run = spawnTs('chaos/main.ts', ['--minutes', '0.4', '--seed', '7', '--out', out], {
      TEST_DATABASE_URL: process.env.TEST_DATABASE_URL,
      CHAOS_SABOTAGE: 'all',
    });
    const code = await run.exited;
    expect(code, run.output()).toBe(1);
    const summary = JSON.parse(fs.readFileSync(out, 'utf8')) as Summary;
    expect(summary.sabotaged?.sort()).toEqual([...INVARIANTS].sort());
    const verdict = (name: string) => summary.invariants.find((v) => v.invariant === name)!;
    for (const name of INVARIANTS) expect(verdict(name).held, `${name}\n${run.output()}`).toBe(false);
    const evidence = (name: string) => verdict(name).evidence.join('\n');
    expect(evidence('orders_exactly_once')).toMatch(/has no Junction order id, but Junction has/);
    expect(evidence('one_answer_per_key')).toMatch(/first 201 .*, later 201/);
    expect(evidence('nothing_stuck')).toMatch(/still submitting/);
    expect(evidence('nothing_stuck')).toMatch(/chaos\.sabotage\) leased past its window/);
    expect(evidence('money')).toMatch(/expected/);
    expect(evidence('money')).toMatch(/redemptions counted, limit/);
    expect(evidence('events')).toMatch(/lab_visit\.created of .* has no event/);
    expect(evidence('answers')).toMatch(/replica-a: no answer within 16000 ms/);
    expect(evidence('privacy')).toMatch(/worker\.log: "Quillfeather"/);
  }, 400_000);
});
