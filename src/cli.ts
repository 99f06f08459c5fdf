/**
 * `npm run migrate`, `npm run worker` (the job queue's workers without the API; see service.ts),
 * `npm run token -- --sub ID [--scope "…"] [--brand ID] [--persona admin|customer]` and
 * `npm run key -- create …` (api-keys/cli.ts).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { decodeJwt } from 'jose';
import { KEY_USAGE, keyCommand } from './api-keys/cli.js';
import { resolveJwtSecret } from './auth-secret.js';
import { ConfigError, loadConfig } from './config.js';
import { migrateDatabase, openDatabase } from './db/database.js';
import { describeConnectionFailure } from './db/errors.js';
import { mintedTokenLifetime, SCOPES, signToken } from './http/auth.js';

const USAGE = `usage:
  labline migrate
  labline worker
  labline token --sub ID [--scope "a b"] [--brand ID]... [--persona admin|customer] [--expires 30d]
    (--scope: any of ${Object.values(SCOPES).join(', ')}, space-separated)
    (--expires: a duration such as 2h or 7d; at most AUTH_MAX_TOKEN_LIFETIME_HOURS, 720 h by default)
${KEY_USAGE}`;

async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'help' || argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command === 'worker') {
    // Runs until SIGTERM/SIGINT, which exit the process after a graceful stop.
    await (await import('./service.js')).runService('worker');
    return new Promise<number>(() => {});
  }
  const config = loadConfig();
  if (command === 'migrate') {
    const database = await openDatabase(config.database);
    if (config.database.kind === 'postgres') {
      // As at start-up: a server that cannot be used is one clear line, not a driver's stack trace.
      const url = config.database.url;
      try {
        await database.ping();
      } catch (err) {
        await database.close().catch(() => {});
        throw new CommandFailure(describeConnectionFailure(url, err));
      }
    }
    try {
      await migrateDatabase(config.database, database);
    } finally {
      await database.close();
    }
    process.stdout.write('migrations applied\n');
    return 0;
  }
  if (command === 'key') {
    await keyCommand(config, rest, (message) => new UsageError(message), {
      out: (text) => process.stdout.write(text),
      err: (text) => process.stderr.write(text),
    });
    return 0;
  }
  if (command === 'token') {
    const { values } = parseArgs({
      args: rest,
      options: {
        sub: { type: 'string' },
        scope: { type: 'string' },
        brand: { type: 'string', multiple: true },
        persona: { type: 'string' },
        expires: { type: 'string' },
      },
      strict: true,
    });
    if (!values.sub) throw new UsageError('--sub is required');
    const known: string[] = Object.values(SCOPES);
    const unknown = (values.scope ?? '').split(/\s+/).filter((s) => s !== '' && !known.includes(s));
    if (unknown.length > 0) {
      throw new UsageError(
        `unknown scope ${unknown.map((s) => `"${s}"`).join(', ')}: the scopes are ${known.join(', ')} ` +
          '(workspace people need none: their membership decides)',
      );
    }
    if (values.persona !== undefined && values.persona !== 'admin' && values.persona !== 'customer') {
      throw new UsageError('--persona must be admin or customer');
    }
    const { secret, generated } = resolveJwtSecret(config);
    if (!secret)
      throw new UsageError('no AUTH_JWT_SECRET is configured: tokens come from your identity provider');
    let token: string;
    try {
      token = await signToken(
        secret,
        {
          sub: values.sub,
          ...(values.scope ? { scope: values.scope } : {}),
          ...(values.brand ? { brandIds: values.brand } : {}),
          ...(values.persona ? { persona: values.persona } : {}),
          issuer: config.auth.issuer,
          audience: config.auth.audience,
        },
        values.expires ?? mintedTokenLifetime(config.auth.maxTokenLifetimeHours),
      );
    } catch (err) {
      if (err instanceof TypeError)
        throw new UsageError(`--expires ${values.expires}: not a duration such as 2h or 7d`);
      throw err;
    }
    const { iat, exp } = decodeJwt(token);
    const maxHours = config.auth.maxTokenLifetimeHours;
    if ((exp ?? Infinity) - (iat ?? 0) > maxHours * 3600) {
      throw new UsageError(
        `--expires ${values.expires} is longer than AUTH_MAX_TOKEN_LIFETIME_HOURS (${maxHours} h): the service would refuse the token`,
      );
    }
    process.stdout.write(`${token}\n`);
    // On stderr, so that TOKEN=$(npm run --silent token -- …) gets the token alone.
    process.stderr.write(
      generated
        ? `labline: signed with the secret kept in ${path.join(config.dataDir, 'jwt-secret')} (no AUTH_JWT_SECRET is set): ` +
            'a service started with AUTH_JWT_SECRET refuses it; set the same AUTH_JWT_SECRET here to mint for that service\n'
        : 'labline: signed with AUTH_JWT_SECRET\n',
    );
    return 0;
  }
  throw new UsageError(command ? `unknown command "${command}"` : 'a command is required');
}

class UsageError extends Error {}
/** A command that cannot do its work for a reason one line says (no usage text). */
class CommandFailure extends Error {}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof UsageError || err instanceof CommandFailure) {
      process.stderr.write(`labline: ${err.message}\n${err instanceof UsageError ? USAGE + '\n' : ''}`);
    } else if (err instanceof TypeError && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`labline: ${err.message}\n${USAGE}\n`);
    } else {
      process.stderr.write(`labline: ${(err as Error).stack ?? String(err)}\n`);
    }
    process.exit(1);
  },
);
