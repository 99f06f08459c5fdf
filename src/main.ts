/** The service: API and (unless RUN_WORKERS=false) the job queue's workers; see service.ts. */
import { runService } from './service.js';

runService('service').catch((err: unknown) => {
  process.stderr.write(`labline failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
