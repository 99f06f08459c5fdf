import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadServiceConfig } from '../src/config.js';
import { usingPostgres } from './helpers/database.js';
import { spawnTs, type Spawned } from './helpers/process.js';

/** A Svix signing secret as Junction's dashboard shows one: whsec_ + base64 of 24 bytes. */
const SECRET = `whsec_${Buffer.from('labline-test-signing-key').toString('base64')}`;

function problems(env: Record<string, string>, load = loadConfig): string[] {
  try {
    load(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('configuration', () => {
  it('defaults to demo mode: embedded PGlite in ./.data, the simulator, 127.0.0.1:3000', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.host).toBe('127.0.0.1');
    expect(c.database).toMatchObject({ kind: 'pglite', dataDir: path.resolve('.data') });
    expect(c.junction).toMatchObject({
      apiKey: null,
      environment: 'sandbox',
      region: 'us',
      timeoutMs: 10_000,
    });
    expect(c.idempotencyTtlHours).toBe(24);
    expect(c.demo).toBe(true);
    expect(c.modeReason).toMatch(/^nothing is configured/);
    expect(c.webhooks.allowPrivateUrls).toBe(true);
    expect(Object.isFrozen(c.junction)).toBe(true);
  });

  it('parses the database choices', () => {
    expect(loadConfig({ DATABASE_URL: 'memory://' }).database).toMatchObject({
      kind: 'pglite',
      dataDir: null,
    });
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h:5432/db' }).database).toMatchObject({
      kind: 'postgres',
      url: 'postgres://u@h:5432/db',
    });
  });

  it('names the variable of every bad value instead of falling back', () => {
    expect(problems({ PORT: 'abc' })).toEqual(['PORT must be an integer from 0 to 65535 (got "abc")']);
    expect(problems({ DATABASE_URL: 'mysql://x' })[0]).toMatch(
      /^DATABASE_URL must be a postgres: or postgresql: URL/,
    );
    expect(problems({ JUNCTION_TIMEOUT_MS: '-5' })[0]).toMatch(/^JUNCTION_TIMEOUT_MS/);
    expect(problems({ JUNCTION_ENVIRONMENT: 'staging' })[0]).toMatch(
      /^JUNCTION_ENVIRONMENT must be one of sandbox, production/,
    );
    expect(problems({ JUNCTION_REGION: 'ap' })[0]).toMatch(/^JUNCTION_REGION/);
    expect(problems({ JUNCTION_PANELS: 'hashimotos' })[0]).toMatch(/^JUNCTION_PANELS/);
    expect(problems({ AUTH_JWT_SECRET: 'short' })[0]).toMatch(/^AUTH_JWT_SECRET must be at least 32 bytes/);
    expect(problems({ JUNCTION_WEBHOOK_SECRET: 'abc' })[0]).toMatch(/^JUNCTION_WEBHOOK_SECRET/);
    // The docs' placeholder, a secret cut short, one with characters base64 does not have.
    for (const bad of ['whsec_…', 'whsec_', 'whsec_abc', 'whsec_ab=c']) {
      expect(problems({ JUNCTION_WEBHOOK_SECRET: bad })[0]).toMatch(
        /^JUNCTION_WEBHOOK_SECRET must be the Svix signing secret/,
      );
    }
    expect(problems({ JUNCTION_WEBHOOK_SECRET: SECRET })).toEqual([]);
    expect(problems({ IDEMPOTENCY_TTL_HOURS: '0' })[0]).toMatch(/^IDEMPOTENCY_TTL_HOURS/);
    expect(problems({ AUTH_JWKS_URL: 'not a url' })[0]).toMatch(/^AUTH_JWKS_URL/);
    for (const bad of ['0', '-1', '1.5', 'forever']) {
      expect(problems({ AUTH_MAX_TOKEN_LIFETIME_HOURS: bad })[0]).toMatch(
        /^AUTH_MAX_TOKEN_LIFETIME_HOURS must be an integer/,
      );
    }
    expect(problems({ TRUST_PROXY: 'yes please' })[0]).toMatch(
      /^TRUST_PROXY must be true, false or a comma-separated list/,
    );
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, ::1' }).trustProxy).toEqual(['10.0.0.0/8', '::1']);
    expect(loadConfig({}).auth.maxTokenLifetimeHours).toBe(720);
    expect(loadConfig({ AUTH_MAX_TOKEN_LIFETIME_HOURS: '12' }).auth.maxTokenLifetimeHours).toBe(12);
  });

  it('parses the webhook settings: a retry schedule of seconds, private URLs allowed in demo mode or when set', () => {
    const c = loadConfig({ WEBHOOK_RETRY_SCHEDULE: '1, 1,30', WEBHOOK_TIMEOUT_MS: '500' });
    expect(c.webhooks).toMatchObject({
      retrySchedule: [1, 1, 30],
      timeoutMs: 500,
      allowPrivateUrls: true,
      disableAfterHours: 120,
    });
    expect(loadConfig({}).webhooks.retrySchedule).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
    const prod = {
      NODE_ENV: 'production',
      AUTH_JWT_SECRET: 'x'.repeat(32),
      JUNCTION_API_KEY: 'k',
      JUNCTION_WEBHOOK_SECRET: SECRET,
    };
    const full = {
      ...prod,
      JUNCTION_PANELS: 'hashimotos=a,pcos=b,fertility=c',
      DATABASE_URL: 'postgres://u@h/db',
    };
    expect(loadConfig(full).webhooks.allowPrivateUrls).toBe(false);
    expect(loadConfig({ ...full, WEBHOOK_ALLOW_PRIVATE_URLS: 'true' }).webhooks.allowPrivateUrls).toBe(true);
    expect(problems({ WEBHOOK_RETRY_SCHEDULE: '5,soon' })[0]).toMatch(
      /^WEBHOOK_RETRY_SCHEDULE must be 1 to 20 comma-separated integers/,
    );
    expect(problems({ WEBHOOK_RETRY_SCHEDULE: '0' })[0]).toMatch(/^WEBHOOK_RETRY_SCHEDULE/);
    expect(problems({ WEBHOOK_ALLOW_PRIVATE_URLS: 'yes' })).toEqual([
      'WEBHOOK_ALLOW_PRIVATE_URLS must be 1 or true, 0 or false (got "yes")',
    ]);
    expect(problems({ WEBHOOK_DISABLE_AFTER_HOURS: '0' })[0]).toMatch(/^WEBHOOK_DISABLE_AFTER_HOURS/);
  });

  it('demo mode only when nothing is configured or DEMO=1; anything configured is a deployment', () => {
    const secret = { AUTH_JWT_SECRET: 'x'.repeat(32) };
    const junction = {
      JUNCTION_API_KEY: 'k',
      JUNCTION_WEBHOOK_SECRET: SECRET,
      JUNCTION_PANELS: 'hashimotos=a,pcos=b,fertility=c',
    };
    for (const env of [
      { DATABASE_URL: 'memory://' },
      secret,
      { AUTH_JWKS_URL: 'https://idp/jwks' },
      junction,
    ]) {
      const c = loadConfig(env);
      expect(c.demo, JSON.stringify(env)).toBe(false);
      expect(c.modeReason).toMatch(/set without DEMO=1$/);
      // A deployment's webhooks reach public addresses only, unless asked.
      expect(c.webhooks.allowPrivateUrls).toBe(false);
      expect(loadConfig({ ...env, WEBHOOK_ALLOW_PRIVATE_URLS: '1' }).webhooks.allowPrivateUrls).toBe(true);
      expect(loadConfig({ ...env, DEMO: '1' })).toMatchObject({
        demo: true,
        modeReason: expect.stringMatching(
          /^DEMO=1 is set \(using .+ as configured; demo supplies the rest\)$/,
        ),
      });
    }
    expect(loadConfig({ DEMO: 'true' }).demo).toBe(true);
    expect(loadConfig({ DEMO: '0' })).toMatchObject({ demo: false, modeReason: 'DEMO=0 is set' });
    expect(problems({ DEMO: 'yes' })).toEqual(['DEMO must be 1 or true, 0 or false (got "yes")']);
    // What a deployment lacks, in one line, when the service or the worker starts.
    expect(problems({ DATABASE_URL: 'memory://' }, loadServiceConfig)).toEqual([
      'this is a deployment (DATABASE_URL is set without DEMO=1), and a deployment needs AUTH_JWT_SECRET or ' +
        'AUTH_JWKS_URL and JUNCTION_API_KEY (with JUNCTION_WEBHOOK_SECRET and JUNCTION_PANELS); set them, or set DEMO=1 for demo mode',
    ]);
    expect(problems(junction, loadServiceConfig)).toEqual([
      expect.stringMatching(
        /^this is a deployment \(JUNCTION_API_KEY is set without DEMO=1\), and a deployment needs AUTH_JWT_SECRET or AUTH_JWKS_URL; /,
      ),
    ]);
    expect(problems({ ...secret, ...junction }, loadServiceConfig)).toEqual([]);
    expect(problems({ DATABASE_URL: 'memory://', DEMO: '1' }, loadServiceConfig)).toEqual([]);
    expect(problems({}, loadServiceConfig)).toEqual([]);
  });

  it('NODE_ENV is production, development or test: anything else stops start-up', () => {
    expect(loadConfig({}).nodeEnv).toBe('development');
    expect(loadConfig({ NODE_ENV: 'test' })).toMatchObject({ nodeEnv: 'test', production: false });
    for (const bad of ['prod', 'Production', 'staging']) {
      expect(problems({ NODE_ENV: bad })).toEqual([
        `NODE_ENV must be one of production, development, test (got "${bad}")`,
      ]);
    }
    expect(problems({ NODE_ENV: 'production', DEMO: '1' })).toContain(
      'DEMO=1 cannot be combined with NODE_ENV=production',
    );
  });

  it('hides credentials of a bad database URL in the message', () => {
    expect(problems({ DATABASE_URL: 'mysql://user:hunter2@x/db' })[0]).not.toContain('hunter2');
  });

  it('parses the panel map and requires all panels with a real Junction key', () => {
    const c = loadConfig({
      JUNCTION_API_KEY: 'sk_live',
      JUNCTION_PANELS: 'hashimotos=t1, pcos=t2,fertility=t3',
      JUNCTION_WEBHOOK_SECRET: SECRET,
    });
    expect(c.junction.panels).toEqual({ hashimotos: 't1', pcos: 't2', fertility: 't3' });
    expect(c.demo).toBe(false);
    expect(
      problems({ JUNCTION_API_KEY: 'k', JUNCTION_PANELS: 'pcos=t2', JUNCTION_WEBHOOK_SECRET: SECRET }),
    ).toEqual([
      'JUNCTION_PANELS must map every panel when JUNCTION_API_KEY is set (missing: hashimotos, fertility)',
    ]);
  });

  it('NODE_ENV=production refuses to start without real auth, Junction key and PostgreSQL', () => {
    expect(problems({ NODE_ENV: 'production' })).toEqual([
      'NODE_ENV=production requires AUTH_JWT_SECRET or AUTH_JWKS_URL',
      'NODE_ENV=production requires JUNCTION_API_KEY',
      'NODE_ENV=production requires DATABASE_URL=postgres://…',
    ]);
  });

  it('a bad value stops start-up with exit code 1 and a message naming the variable', async () => {
    const p = spawnTs('src/main.ts', [], { PORT: 'abc', DATABASE_URL: 'mysql://x' });
    expect(await p.exited).toBe(1);
    expect(p.output()).toContain('PORT must be an integer');
    expect(p.output()).toContain('DATABASE_URL must be a postgres');
  });

  it(
    'start-up with a malformed webhook secret, or a database it cannot use, exits 1 with one line',
    { timeout: 180_000 },
    async () => {
      const junction = {
        JUNCTION_API_KEY: 'k',
        JUNCTION_PANELS: 'hashimotos=a,pcos=b,fertility=c',
        DATABASE_URL: 'memory://',
      };
      const server = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
      server.pathname = '/labline_no_such_database';
      const runs = {
        secret: spawnTs('src/main.ts', [], { ...junction, JUNCTION_WEBHOOK_SECRET: 'whsec_…' }),
        // Nothing listens on port 1; the other names a database the server does not have.
        refused: spawnTs('src/main.ts', [], {
          DATABASE_URL: 'postgres://labline:hunter2@127.0.0.1:1/orders',
          DATA_DIR: os.tmpdir(),
          DEMO: '1',
        }),
        missing: spawnTs('src/main.ts', [], {
          DATABASE_URL: server.toString(),
          DATA_DIR: os.tmpdir(),
          DEMO: '1',
        }),
      };
      const lines = async (p: (typeof runs)[keyof typeof runs]) => {
        expect(await p.exited).toBe(1);
        return p.output().trim().split('\n');
      };
      const [secret, refused, missing] = await Promise.all([
        lines(runs.secret),
        lines(runs.refused),
        lines(runs.missing),
      ]);
      expect(secret).toEqual([
        expect.stringMatching(
          /^labline: Invalid configuration: JUNCTION_WEBHOOK_SECRET must be the Svix signing secret/,
        ),
      ]);
      expect(refused).toEqual([
        'labline: cannot use PostgreSQL at 127.0.0.1:1, database "orders": nothing accepts connections there. Start PostgreSQL, or fix the host and port in DATABASE_URL.',
      ]);
      expect(refused[0]).not.toContain('hunter2');
      expect(missing).toEqual([expect.stringContaining('database "labline_no_such_database"')]);
      if (usingPostgres) expect(missing[0]).toContain('the database does not exist. Create it (createdb');
    },
  );

  it(
    'npm run migrate against a database it cannot use exits 1 with the same one line as start-up',
    { timeout: 120_000 },
    async () => {
      const p = spawnTs('src/cli.ts', ['migrate'], {
        DATABASE_URL: 'postgres://labline:hunter2@127.0.0.1:1/orders',
      });
      expect(await p.exited).toBe(1);
      expect(p.output().trim().split('\n')).toEqual([
        'labline: cannot use PostgreSQL at 127.0.0.1:1, database "orders": nothing accepts connections there. Start PostgreSQL, or fix the host and port in DATABASE_URL.',
      ]);
    },
  );

  it('npm run token mints a token signed with the configured secret', async () => {
    const secret = 'cli-secret-cli-secret-cli-secret-0123';
    const p = spawnTs(
      'src/cli.ts',
      ['token', '--sub', 'svc-1', '--scope', 'lab-orders:read', '--brand', 'b1'],
      {
        AUTH_JWT_SECRET: secret,
      },
    );
    expect(await p.exited).toBe(0);
    const { payload } = await jwtVerify(p.stdout().trim(), new TextEncoder().encode(secret));
    expect(payload).toMatchObject({ sub: 'svc-1', scope: 'lab-orders:read', brand_ids: ['b1'] });
    // Which secret signed it, on stderr (stdout is the token alone); never the secret itself.
    expect(p.stderr()).toBe('labline: signed with AUTH_JWT_SECRET\n');
    // it expires, 30 days after it was issued (the default maximum lifetime)
    expect(payload.exp! - payload.iat!).toBe(720 * 3600);
  });

  it(
    'npm run token mints tokens within AUTH_MAX_TOKEN_LIFETIME_HOURS, and refuses to mint a longer one',
    { timeout: 120_000 },
    async () => {
      const secret = 'cli-secret-cli-secret-cli-secret-0123';
      const env = { AUTH_JWT_SECRET: secret, AUTH_MAX_TOKEN_LIFETIME_HOURS: '8' };
      const [short, given, long, nonsense] = [
        [],
        ['--expires', '2h'],
        ['--expires', '9h'],
        ['--expires', 'forever'],
      ].map((extra) => spawnTs('src/cli.ts', ['token', '--sub', 'svc-1', ...extra], env)) as [
        Spawned,
        Spawned,
        Spawned,
        Spawned,
      ];
      expect(await short.exited).toBe(0);
      const { payload } = await jwtVerify(short.stdout().trim(), new TextEncoder().encode(secret));
      expect(payload.exp! - payload.iat!).toBe(8 * 3600);
      expect(await given.exited).toBe(0);
      const two = await jwtVerify(given.stdout().trim(), new TextEncoder().encode(secret));
      expect(two.payload.exp! - two.payload.iat!).toBe(2 * 3600);
      expect(await long.exited).toBe(1);
      expect(long.output()).toContain('--expires 9h is longer than AUTH_MAX_TOKEN_LIFETIME_HOURS (8 h)');
      expect(await nonsense.exited).toBe(1);
      expect(nonsense.output()).toContain('--expires forever: not a duration');
    },
  );

  it('npm run token without auth configured signs with the secret kept in DATA_DIR', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'labline-token-'));
    const p = spawnTs('src/cli.ts', ['token', '--sub', 'x', '--persona', 'admin'], { DATA_DIR: dir });
    expect(await p.exited).toBe(0);
    const secret = fs.readFileSync(path.join(dir, 'jwt-secret'), 'utf8').trim();
    const { payload } = await jwtVerify(p.stdout().trim(), new TextEncoder().encode(secret));
    expect(payload.persona).toBe('admin');
    expect(p.stderr()).toBe(
      `labline: signed with the secret kept in ${path.join(dir, 'jwt-secret')} (no AUTH_JWT_SECRET is set): ` +
        'a service started with AUTH_JWT_SECRET refuses it; set the same AUTH_JWT_SECRET here to mint for that service\n',
    );
    expect(p.output()).not.toContain(secret);
    const bad = spawnTs('src/cli.ts', ['token', '--sub', 'x', '--persona', 'root'], { DATA_DIR: dir });
    expect(await bad.exited).toBe(1);
    expect(bad.output()).toContain('--persona must be admin or customer');
  });

  it('npm run token refuses an unknown scope naming the valid ones; --help prints the usage alone', async () => {
    const env = { AUTH_JWT_SECRET: 'cli-secret-cli-secret-cli-secret-0123' };
    const [typo, help] = [
      spawnTs('src/cli.ts', ['token', '--sub', 'x', '--scope', 'lab-orders:reed lab-orders:read'], env),
      spawnTs('src/cli.ts', ['token', '--help'], {}),
    ];
    expect(await typo.exited).toBe(1);
    expect(typo.stdout()).toBe('');
    expect(typo.stderr().split('\n')[0]).toBe(
      'labline: unknown scope "lab-orders:reed": the scopes are lab-orders:write, lab-orders:read, lab-orders:admin ' +
        '(workspace people need none: their membership decides)',
    );
    expect(await help.exited).toBe(0);
    expect(help.stdout()).toMatch(/^usage:\n/);
    expect(help.stdout()).toContain('labline token --sub ID');
    expect(help.output()).not.toMatch(/unknown option/i);
  });

  it(
    'a port in use stops start-up with one line, for the service and the simulator',
    { timeout: 180_000 },
    async () => {
      const taken = net.createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
      const port = (taken.address() as net.AddressInfo).port;
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'labline-port-'));
      try {
        const service = spawnTs('src/main.ts', [], {
          PORT: String(port),
          DEMO: '1',
          DATABASE_URL: 'memory://',
          DATA_DIR: dataDir,
          LOG_LEVEL: 'error',
        });
        const simulator = spawnTs(
          'src/junction/simulator/main.ts',
          ['--port', String(port), '--data-dir', dataDir],
          {},
        );
        expect(await service.exited).toBe(1);
        expect(service.stderr().trim().split('\n')).toEqual([
          `labline: cannot listen on 127.0.0.1:${port}: the port is in use by another process. Stop that process, or choose another PORT.`,
        ]);
        expect(await simulator.exited).toBe(1);
        expect(simulator.stderr().trim().split('\n')).toEqual([
          `junction simulator: cannot listen on 127.0.0.1:${port}: the port is in use by another process. Stop that process, or choose another --port.`,
        ]);
      } finally {
        taken.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    },
  );
});
