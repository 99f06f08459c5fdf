/**
 * Tests that need something this machine may not have. Without it they are skipped, and the
 * reason is part of their name, which test/helpers/skipped-reporter.ts prints after the run:
 * nothing is skipped silently.
 */
import { describe, it } from 'vitest';
import { usingPostgres } from './database.js';
import { browserAvailable, CHROMIUM } from './browser.js';

type Describe = (name: string, fn: () => void) => void;
type It = (name: string, ...rest: any[]) => void;

function onlyIf(condition: boolean, reason: string): { describe: Describe; it: It } {
  const named = (name: string) => `${name} [skipped: ${reason}]`;
  return {
    describe: condition ? describe : (name, fn) => describe.skip(named(name), fn),
    it: condition ? it : (name, ...rest) => (it.skip as It)(named(name), ...rest),
  };
}

/** Needs a PostgreSQL server (two processes on one database, outages, statement timeouts). */
export const onPostgres = onlyIf(usingPostgres, 'needs PostgreSQL: set TEST_DATABASE_URL');

/** Needs Debian's chromium (REQUIRE_BROWSER=1 makes its absence a failure instead). */
export const inBrowser = onlyIf(
  browserAvailable,
  `needs chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`,
);
