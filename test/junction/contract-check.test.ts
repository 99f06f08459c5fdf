/**
 * `npm run junction:check` (docs/junction.md, "Checking your Junction"), run as a user runs it: with
 * no key against a simulator it starts itself, every step held; against a configured Junction (here
 * a simulator standing in for the sandbox, over HTTP) each step's outcome printed, and a failure
 * makes the exit status 1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIMULATOR_PANELS, type Simulator } from '../../src/junction/simulator/index.js';
import { spawnProcess } from '../helpers/process.js';
import { startTestSimulator } from './helpers.js';

const STEPS = [
  'create a user',
  'order a sandbox lab test',
  'read the order',
  'read its results',
  'cancel a fresh order',
  'verify a webhook signature with the configured secret',
];

const check = (env: Record<string, string>) => {
  const run = spawnProcess('npm', ['run', '--silent', 'junction:check'], env);
  return run.exited.then((code) => ({ code, output: run.output() }));
};

/** The outcome printed for each step, in order. */
const outcomes = (output: string) =>
  STEPS.map((step) => new RegExp(`^\\s+(held|failed|skipped)\\s+${step}`, 'm').exec(output)?.[1]);

describe('npm run junction:check', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startTestSimulator();
  });
  afterAll(() => sim.close());

  const configured = (overrides: Record<string, string> = {}) => ({
    JUNCTION_API_KEY: 'sk_test_simulator',
    JUNCTION_BASE_URL: sim.url,
    JUNCTION_WEBHOOK_SECRET: sim.webhookSecret,
    JUNCTION_PANELS: Object.entries(SIMULATOR_PANELS)
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    ...overrides,
  });

  it('without a key: checks a simulator it starts itself, every step held, exit 0', async () => {
    const { code, output } = await check({});
    expect(output).toContain('the built-in Junction simulator');
    expect(outcomes(output)).toEqual(STEPS.map(() => 'held'));
    expect(output).toContain('6 held, 0 failed, 0 skipped');
    expect(code).toBe(0);
  });

  it('against the configured Junction: every step held, the webhook secret checked by signing', async () => {
    const { code, output } = await check(configured());
    expect(output).toContain(`Junction contract check against Junction at ${sim.url}`);
    expect(outcomes(output)).toEqual(STEPS.map(() => 'held'));
    expect(output).toContain('signed here with the configured secret');
    expect(code).toBe(0);
    // One user however often it runs: the sandbox holds 50.
    const again = await check(configured());
    expect(again.code).toBe(0);
    expect(sim.users().filter((u) => u.client_user_id.startsWith('labline-junction-check'))).toHaveLength(1);
  });

  it('a wrong key: the first step fails with Junction’s answer, the rest are skipped, exit 1', async () => {
    const { code, output } = await check(configured({ JUNCTION_API_KEY: 'sk_wrong' }));
    expect(output).toMatch(
      /failed\s+create a user \(POST \/v2\/user\): Junction answered 401: Invalid API key/,
    );
    expect(outcomes(output)).toEqual(['failed', 'skipped', 'skipped', 'skipped', 'skipped', 'held']);
    expect(code).toBe(1);
  });

  it('refuses to run against production (it places orders), exit 2', async () => {
    const { code, output } = await check(configured({ JUNCTION_ENVIRONMENT: 'production' }));
    expect(output).toContain('never production');
    expect(code).toBe(2);
  });
});
