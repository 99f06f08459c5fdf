import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { JunctionDeps } from '../junction/types.js';
import type { Config } from '../config.js';
import type { Metrics } from '../http/metrics.js';
import { createJunctionClient } from '../junction/client.js';
import { SIMULATOR_PANELS, startSimulator, type Simulator } from '../junction/simulator/index.js';

export const SIMULATOR_KEY = 'demo-simulator-key';

/**
 * Without a Junction key the built-in simulator plays Junction: in-process, but reached over
 * HTTP through the same client as the real API, and sending its signed webhooks back here.
 */
export async function startDemoJunction(
  config: Config,
  metrics: Metrics,
  logger: Logger,
): Promise<{ simulator: Simulator; junction: JunctionDeps }> {
  fs.mkdirSync(config.dataDir, { recursive: true });
  const simulator = await startSimulator({
    apiKey: SIMULATOR_KEY,
    // Its users and orders outlive a restart, like the database that refers to them.
    stateFile: path.join(config.dataDir, 'junction-simulator.json'),
    log: (entry) => logger.debug(entry, 'junction simulator'),
  });
  logger.info(
    { simulator: simulator.url },
    'no JUNCTION_API_KEY: the built-in Junction simulator plays Junction',
  );
  return {
    simulator,
    junction: {
      api: createJunctionClient({
        ...config.junction,
        apiKey: SIMULATOR_KEY,
        baseUrl: simulator.url,
        metrics,
      }),
      // Its port changes at every start; its users (kept in DATA_DIR) do not.
      environment: 'labline-demo-simulator',
      webhookSecret: simulator.webhookSecret,
      panels: SIMULATOR_PANELS,
    },
  };
}
