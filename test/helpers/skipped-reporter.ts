/**
 * After the run, every skipped test and why (test/helpers/skip.ts puts the reason in its name),
 * so that a green run that skipped something says so.
 */
import path from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

export default class SkippedReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const skipped = testModules.flatMap((m) =>
      [...m.children.allTests('skipped')].map(
        (t) => `  ↓ ${path.relative(process.cwd(), m.moduleId)} > ${t.fullName}`,
      ),
    );
    if (skipped.length === 0) return;
    process.stdout.write(`\nSkipped (${skipped.length}):\n${skipped.join('\n')}\n`);
  }
}
