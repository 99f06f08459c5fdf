/**
 * `npm run key -- create --name … --scope "…" --brand … [--expires-at <ISO instant>]`: the
 * operator's first key, made without any token (docs/api-keys.md). The key is printed once, alone
 * on stdout (so `KEY=$(npm run -s key -- create …)` works); what it is goes to stderr.
 * `npm run key -- revoke --id <id>` revokes one.
 */
import { parseArgs } from 'node:util';
import type { Config } from '../config.js';
import { migrateDatabase, openDatabase } from '../db/database.js';
import { parseInstant } from '../http/instants.js';
import { createApiKey } from './keys.js';
import { revokeApiKey } from './repository.js';
import { KEY_SCOPES } from './schemas.js';

export const KEY_USAGE = `  labline key create --name NAME --scope "lab-orders:read …" --brand ID [--brand ID]... [--expires-at ISO]
  labline key revoke --id ID`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Runs `key …`; `usage(message)` makes the error for a bad command line. */
export async function keyCommand(
  config: Config,
  args: string[],
  usage: (message: string) => Error,
  io: Output,
): Promise<void> {
  const [sub, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: {
      name: { type: 'string' },
      scope: { type: 'string' },
      brand: { type: 'string', multiple: true },
      'expires-at': { type: 'string' },
      id: { type: 'string' },
    },
    strict: true,
  });
  if (sub === 'create') {
    const name = values.name?.trim();
    if (!name || name.length > 100) throw usage('--name is required (at most 100 characters)');
    const scopes = [...new Set((values.scope ?? '').split(/\s+/).filter(Boolean))];
    if (scopes.length === 0) throw usage(`--scope is required: one or more of ${KEY_SCOPES.join(', ')}`);
    const unknown = scopes.filter((s) => !(KEY_SCOPES as string[]).includes(s));
    if (unknown.length > 0) throw usage(`unknown scope ${unknown.join(', ')}: use ${KEY_SCOPES.join(', ')}`);
    const brandIds = [...new Set(values.brand ?? [])];
    if (brandIds.length === 0 || brandIds.some((b) => b.length === 0 || b.length > 128)) {
      throw usage('--brand is required (one per brand, at most 128 characters each)');
    }
    let expiresAt: Date | null = null;
    if (values['expires-at'] !== undefined) {
      expiresAt = parseInstant(values['expires-at']);
      if (expiresAt === null || expiresAt.getTime() <= Date.now()) {
        throw usage('--expires-at must be a future instant, e.g. 2030-01-01T00:00:00Z');
      }
    }
    await withDatabase(config, async (database) => {
      const { row, key } = await createApiKey(database.db, {
        name,
        scopes,
        brandIds,
        expiresAt,
        createdBy: 'cli',
      });
      io.out(`${key}\n`);
      io.err(
        `API key ${row.id} (${row.prefix}…) for ${brandIds.join(', ')} with ${scopes.join(' ')}` +
          `${expiresAt ? `, expiring ${expiresAt.toISOString()}` : ''}. ` +
          'This is the only time the key is shown: store it now. Send it as Authorization: Bearer <key>.\n',
      );
    });
    return;
  }
  if (sub === 'revoke') {
    if (!values.id || !UUID.test(values.id)) throw usage('--id must be the id of an API key');
    const id = values.id.toLowerCase();
    await withDatabase(config, async (database) => {
      const revoked = await revokeApiKey(database.db, id);
      io.err(revoked ? `API key ${id} revoked.\n` : `No active API key ${id}: nothing revoked.\n`);
    });
    return;
  }
  throw usage(sub ? `unknown key command "${sub}"` : 'key needs a command: create or revoke');
}

/** The configured database, migrated (a first key may be made before the service ever ran). */
async function withDatabase(
  config: Config,
  fn: (database: Awaited<ReturnType<typeof openDatabase>>) => Promise<void>,
) {
  const database = await openDatabase(config.database);
  try {
    await migrateDatabase(config.database, database);
    await fn(database);
  } finally {
    await database.close();
  }
}
