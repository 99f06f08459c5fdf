import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnTs } from './helpers/process.js';

describe('main: the service as `npm start` runs it', () => {
  it('starts with nothing configured, serves /readyz and /docs, accepts the printed token, stops on SIGTERM', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'labline-main-'));
    const p = spawnTs('src/main.ts', [], { DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info' });
    try {
      const [, base] = await p.waitFor(/ready at (http:\/\/\S+)/, 90_000);
      const [, token] = await p.waitFor(/export CLINICAL_TOKEN=(\S+)/);
      expect(p.output()).toContain('not durable and not for production');
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      expect((await fetch(`${base}/docs`)).status).toBe(200);
      const me = await fetch(`${base}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(me.status).toBe(200);
      expect(fs.existsSync(path.join(dataDir, 'jwt-secret'))).toBe(true);
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      expect(p.output()).toContain('shutdown complete');
    } finally {
      p.child.kill('SIGKILL');
    }
  });
});
