/**
 * Junction test fixtures: a simulator on a random port whose log lines go to the suite's PHI
 * scan, and labline's Junction client pointed at it over HTTP.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createJunctionClient, type JunctionApiClient } from '../../src/junction/client.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/junction/simulator/index.js';
import { SIMULATOR_PANELS } from '../../src/junction/simulator/index.js';
import type { CreateJunctionOrder } from '../../src/junction/types.js';
import { Metrics } from '../../src/http/metrics.js';
import { PHI } from '../helpers/phi.js';

const LOG_DIR = path.resolve('test-artifacts/logs');

export async function startTestSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  fs.mkdirSync(LOG_DIR, { recursive: true });
  const logFile = path.join(LOG_DIR, `junction-simulator-${process.pid}.ndjson`);
  return startSimulator({
    apiKey: 'sk_test_simulator',
    log: (entry) => fs.appendFileSync(logFile, `${JSON.stringify(entry)}\n`),
    ...options,
  });
}

export function clientFor(
  sim: Simulator,
  options: { timeoutMs?: number; metrics?: Metrics; apiKey?: string } = {},
): JunctionApiClient {
  return createJunctionClient({
    apiKey: options.apiKey ?? 'sk_test_simulator',
    baseUrl: sim.url,
    environment: 'sandbox',
    region: 'us',
    timeoutMs: options.timeoutMs ?? 2000,
    metrics: options.metrics,
  });
}

export function newMetrics(): Metrics {
  return new Metrics(() => ({ total: 0, idle: 0, waiting: 0 }));
}

export function orderFor(
  userId: string,
  labTestId: string = SIMULATOR_PANELS.hashimotos,
): CreateJunctionOrder {
  return {
    userId,
    labTestId,
    patient: {
      firstName: PHI.firstName,
      lastName: PHI.lastName,
      dob: PHI.dob,
      gender: 'female',
      phoneNumber: PHI.phone,
      email: PHI.email,
    },
    address: {
      firstLine: PHI.line1,
      secondLine: PHI.line2,
      city: PHI.city,
      state: 'IL',
      zip: '62704',
      country: 'US',
    },
  };
}

let counter = 0;
/** a patient id unique within the test run */
export function patientId(): string {
  return `patient-${process.pid}-${++counter}-${Date.now()}`;
}
