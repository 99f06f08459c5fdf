/**
 * The heap's growth is bounded (a V8 flag this Node must have), and what start-up used and no
 * longer needs goes back to the system once the replica is idle
 * (src/memory.ts): V8's young generation, grown to its largest by start-up, shrinks; a
 * process busy since start-up is left alone; `gc` never appears on the global object.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT } from '../src/memory.js';
import { spawnTs } from './helpers/process.js';

interface Probe {
  before: number;
  after: number;
  shrank: boolean;
  globalGc: string;
}

async function probe(mode: 'idle' | 'busy'): Promise<Probe> {
  const p = spawnTs('test/helpers/memory-probe.ts', [mode], {});
  const [line] = await p.waitFor(/\{.*\}/, 75_000);
  await p.exited;
  return JSON.parse(line) as Probe;
}

describe('start-up memory', () => {
  it(
    'an idle replica gives back the young generation start-up grew; a busy one is left alone',
    { timeout: 90_000 },
    async () => {
      const [idle, busy] = await Promise.all([probe('idle'), probe('busy')]);
      // Start-up grew it to its largest: two 16 MB semi-spaces.
      expect(idle.before).toBe(32);
      expect(busy.before).toBe(32);
      expect(idle.shrank).toBe(true);
      expect(idle.after).toBeLessThanOrEqual(4);
      expect(busy.shrank).toBe(false);
      expect(busy.after).toBe(32);
      expect(idle.globalGc).toBe('undefined');
    },
  );

  it("bounds the heap's growth with a V8 flag this Node has (V8 ignores a flag it does not know)", () => {
    const options = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8' });
    expect(options).toContain('--heap-growing-percent');
    expect(HEAP_GROWING_PERCENT).toBeGreaterThan(0);
  });
});
