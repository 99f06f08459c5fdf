/**
 * The heap's growth is bounded with a V8 flag (src/memory.ts): V8 ignores a flag it does not
 * know, so this Node must have it.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT } from '../src/memory.js';

describe('heap growth', () => {
  it("bounds the heap's growth with a V8 flag this Node has", () => {
    const options = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8' });
    expect(options).toContain('--heap-growing-percent');
    expect(HEAP_GROWING_PERCENT).toBeGreaterThan(0);
  });
});
