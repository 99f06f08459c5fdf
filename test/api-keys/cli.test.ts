/**
 * `npm run key`, the operator's bootstrap (docs/api-keys.md): the CLI as a child process, on the
 * database a deployment would give it. The API of keys is test/api-keys/api-keys.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, usingPostgres } from '../helpers/database.js';
import { BRAND } from '../helpers/lab-stack.js';
import { spawnTs } from '../helpers/process.js';

const KEY = /^lk_[A-Za-z0-9_-]{43}$/;

describe('npm run key (the operator bootstrap)', () => {
  // Child processes that open (and on PGlite create) a database: slow on a busy machine.
  it(
    'makes a key without any token, printed once, that the service then accepts',
    { timeout: 180_000 },
    async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'labline-key-cli-'));
      const server = usingPostgres ? await createTestDatabase() : null;
      const env = server ? { DATABASE_URL: server.url } : { DATA_DIR: dataDir };
      let t: TestApp | null = null;
      try {
        const p = spawnTs(
          'src/cli.ts',
          ['key', 'create', '--name', 'ops', '--scope', 'lab-orders:admin lab-orders:read', '--brand', BRAND],
          env,
        );
        expect(await p.exited, p.output()).toBe(0);
        const key = p.output().match(/^lk_\S+$/m)?.[0];
        expect(key).toMatch(KEY);
        expect(p.output()).toContain('only time the key is shown');
        expect(p.output().split(key!).length).toBe(2);

        t = server
          ? await startTestApp({ databaseUrl: server.url })
          : await startTestApp({
              config: (c) => ({ ...c, database: { kind: 'pglite', dataDir, statementTimeoutMs: 15_000 } }),
            });
        const list = await t.request('GET', '/v1/api-keys', { token: key! });
        expect(list.status, list.text).toBe(200);
        expect(list.body.data).toEqual([
          expect.objectContaining({
            name: 'ops',
            prefix: key!.slice(0, 11),
            scopes: ['lab-orders:admin', 'lab-orders:read'],
            brand_ids: [BRAND],
          }),
        ]);
      } finally {
        await t?.close();
        await server?.drop();
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    },
  );

  it('refuses a command line it cannot make a key from, with the reason', { timeout: 180_000 }, async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'labline-key-cli-'));
    try {
      const cases = [
        [['create', '--scope', 'lab-orders:read', '--brand', 'b'], '--name is required'],
        [['create', '--name', 'x', '--brand', 'b'], '--scope is required'],
        [
          ['create', '--name', 'x', '--scope', 'lab-orders:root', '--brand', 'b'],
          'unknown scope lab-orders:root',
        ],
        [['create', '--name', 'x', '--scope', 'lab-orders:read'], '--brand is required'],
        [
          [
            'create',
            '--name',
            'x',
            '--scope',
            'lab-orders:read',
            '--brand',
            'b',
            '--expires-at',
            '2001-01-01',
          ],
          '--expires-at must be a future instant',
        ],
        [['rotate'], 'unknown key command "rotate"'],
      ] as const;
      const runs = cases.map(([args]) => spawnTs('src/cli.ts', ['key', ...args], { DATA_DIR: dataDir }));
      for (const [i, [args, message]] of cases.entries()) {
        expect(await runs[i]!.exited, args.join(' ')).toBe(1);
        expect(runs[i]!.output()).toContain(message);
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
