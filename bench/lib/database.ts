/**
 * The bench's database: a fresh PostgreSQL database per run (dropped afterwards), or embedded
 * PGlite in a temporary directory (`--db pglite`). SQL from the bench itself (seeding, the growth
 * data set) goes straight to the database; on PGlite, whose files one process opens at a time, the
 * caller stops labline around it.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';

export interface BenchDatabase {
  kind: 'postgres' | 'pglite';
  /** DATABASE_URL for labline; `undefined` for PGlite, which labline finds in DATA_DIR */
  lablineUrl: string | undefined;
  /** labline's DATA_DIR */
  dataDir: string;
  /** DATABASE_URL for the baseline (its own tables; on PGlite its own files) */
  baselineUrl: string;
  /** runs SQL (several statements allowed when there are no parameters) */
  exec(sql: string): Promise<void>;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  version(): Promise<string>;
  /** releases the bench's own connection (PGlite: its hold on the files) */
  release(): Promise<void>;
  drop(): Promise<void>;
}

export const DEFAULT_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export async function createBenchDatabase(
  kind: 'postgres' | 'pglite',
  workDir: string,
  serverUrl: string,
): Promise<BenchDatabase> {
  return kind === 'postgres' ? createPostgres(workDir, serverUrl) : createPglite(workDir);
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function createPostgres(workDir: string, serverUrl: string): Promise<BenchDatabase> {
  const name = `labline_bench_${randomBytes(5).toString('hex')}`;
  await withClient(serverUrl, (c) => c.query(`create database ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let client: pg.Client | null = null;
  const connected = async () => {
    if (!client) {
      client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      await client.query('set client_min_messages = warning');
    }
    return client;
  };
  const bench: BenchDatabase = {
    kind: 'postgres',
    lablineUrl: url.toString(),
    dataDir: path.join(workDir, 'data'),
    baselineUrl: url.toString(),
    async exec(sql) {
      await (await connected()).query(sql);
    },
    async query<T>(sql: string, params?: unknown[]) {
      return (await (await connected()).query(sql, params)).rows as T[];
    },
    async version() {
      const [row] = (
        await (await connected()).query<{ v: string }>("select current_setting('server_version') as v")
      ).rows;
      return `PostgreSQL ${row?.v ?? '?'}`;
    },
    async release() {
      await client?.end();
      client = null;
    },
    async drop() {
      await bench.release();
      await withClient(serverUrl, (c) => c.query(`drop database if exists ${name} with (force)`));
    },
  };
  return bench;
}

async function createPglite(workDir: string): Promise<BenchDatabase> {
  const { PGlite } = await import('@electric-sql/pglite');
  const dataDir = path.join(workDir, 'data');
  const baselineDir = path.join(workDir, 'baseline-pglite');
  fs.mkdirSync(dataDir, { recursive: true });
  fs.mkdirSync(baselineDir, { recursive: true });
  let db: InstanceType<typeof PGlite> | null = null;
  const opened = async () => {
    if (!db) {
      db = new PGlite(path.join(dataDir, 'pglite'));
      await db.waitReady;
    }
    return db;
  };
  const bench: BenchDatabase = {
    kind: 'pglite',
    lablineUrl: undefined,
    dataDir,
    baselineUrl: `pglite:${baselineDir}`,
    async exec(sql) {
      await (await opened()).exec(sql);
    },
    async query<T>(sql: string, params?: unknown[]) {
      return (await (await opened()).query<T>(sql, params)).rows;
    },
    async version() {
      const pkg = JSON.parse(
        fs.readFileSync(
          path.resolve(import.meta.dirname, '../../node_modules/@electric-sql/pglite/package.json'),
          'utf8',
        ),
      ) as { version: string };
      const rows = await bench.query<{ v: string }>("select current_setting('server_version') as v");
      return `PGlite ${pkg.version} (PostgreSQL ${rows[0]?.v ?? '?'}, embedded)`;
    },
    async release() {
      const current = db;
      db = null;
      await current?.close();
    },
    async drop() {
      await bench.release();
    },
  };
  return bench;
}
