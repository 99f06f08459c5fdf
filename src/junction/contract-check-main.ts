/** `npm run junction:check`: see contract-check.ts. */
import { main } from './contract-check.js';

main().then(
  (status) => process.exit(status),
  (err: unknown) => {
    process.stderr.write(`junction:check: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
