/**
 * One schema, one query path, two drivers: node-postgres for a PostgreSQL server, PGlite
 * (embedded, in DATA_DIR or in memory) for demo and tests. Everything above this file sees
 * only `Db` (a Drizzle PostgreSQL database) and `Tx` (the same API bound to a transaction).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql, type AnyColumn, type ExtractTablesWithRelations, type SQL } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import pg from 'pg';
import type { DatabaseConfig } from '../config.js';
import { isDatabaseUnavailable } from './errors.js';
import * as schema from './tables.js';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Either the root handle or a transaction: what repository functions take. */
export type Queryable = Db | Tx;

export interface Database {
  readonly kind: 'postgres' | 'pglite';
  readonly db: Db;
  /** Runs `fn` in a transaction; `fn` must use only the handle it is given. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  /**
   * Runs one statement outside any transaction through the driver's own API: a named prepared
   * statement on a server (planned once per pooled connection), text and values on PGlite. Used
   * by runStatement (statements.ts).
   */
  query<Row>(name: string, text: string, values: unknown[]): Promise<Row[]>;
  /**
   * LISTEN on `channel`: `onMessage` gets each notification's payload. On a server it holds one
   * connection of its own and reconnects (after 1 s) when it drops; notifications sent meanwhile
   * are lost, so listeners must also poll. `close` stops listening.
   */
  listen(channel: string, onMessage: (payload: string) => void): Promise<{ close(): Promise<void> }>;
  /** Pool gauges for metrics and benchmarks (pg only; zeros on PGlite). */
  poolStats(): { total: number; idle: number; waiting: number };
  close(): Promise<void>;
}

const MIGRATIONS_FOLDER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../drizzle');
/** Arbitrary constant: the advisory lock that serialises migrations across processes. */
const MIGRATION_LOCK_ID = 7_304_112_901;

/** How long a pooled connection may stay idle before it is closed (docs/operations.md). */
export const POOL_IDLE_TIMEOUT_MS = 60_000;

export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  return config.kind === 'postgres' ? openPostgres(config) : openPglite(config);
}

async function openPostgres(config: Extract<DatabaseConfig, { kind: 'postgres' }>): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolSize,
    statement_timeout: config.statementTimeoutMs,
    idle_in_transaction_session_timeout: config.statementTimeoutMs * 2,
    connectionTimeoutMillis: 10_000,
    // Each connection plans the hot path's statements once (runStatement): pg's default closes a
    // connection after 10 idle seconds, and the next burst would connect and plan them again.
    idleTimeoutMillis: POOL_IDLE_TIMEOUT_MS,
  });
  // A connection that breaks (the server restarts, the network drops) must not crash the process.
  // The pool listens on idle clients; a client that is checked out (a request between two
  // statements of its transaction) emits 'error' with nobody listening, which Node turns into an
  // uncaught exception. The statement in progress fails on its own (the request answers 503), and
  // the pool discards the broken client when it is released.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const db: Db = drizzlePg(pool, { schema });
  // Drizzle's transaction on a pool sends `begin` before its try/finally that releases the
  // connection: a `begin` that fails (the connection broke while idle in the pool) would keep that
  // connection checked out for good, and a few outages would leave the pool empty. So the
  // connection is taken and released here, and Drizzle runs the transaction on it (one Drizzle
  // handle per pooled connection, made on its first use).
  const onConnection = new WeakMap<pg.PoolClient, Db>();
  const transaction: Database['transaction'] = async (fn) => {
    const client = await pool.connect();
    let failure: unknown;
    try {
      let handle = onConnection.get(client);
      if (!handle) {
        handle = drizzlePg(client, { schema });
        onConnection.set(client, handle);
      }
      return await handle.transaction(fn);
    } catch (err) {
      failure = err;
      throw err;
    } finally {
      // A connection that failed mid-transaction is dropped, not handed to the next request.
      client.release(isDatabaseUnavailable(failure));
    }
  };
  return {
    kind: 'postgres',
    db,
    transaction,
    ping: async () => {
      await pool.query('select 1');
    },
    query: async <Row>(name: string, text: string, values: unknown[]) =>
      (await pool.query<Row & pg.QueryResultRow>({ name, text, values })).rows,
    listen: (channel, onMessage) => listenPostgres(config.url, channel, onMessage),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => pool.end(),
  };
}

/** A dedicated connection that LISTENs, reconnecting a second after it drops until closed. */
async function listenPostgres(
  url: string,
  channel: string,
  onMessage: (payload: string) => void,
): Promise<{ close(): Promise<void> }> {
  let closed = false;
  let client: pg.Client | null = null;
  let retry: NodeJS.Timeout | null = null;
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url });
    c.on('notification', (n) => {
      if (n.channel === channel) onMessage(n.payload ?? '');
    });
    c.on('error', () => {
      if (client === c) reconnect();
    });
    client = c;
    try {
      await c.connect();
      await c.query(`listen ${pg.escapeIdentifier(channel)}`);
    } catch {
      if (client === c) reconnect();
    }
  };
  const reconnect = () => {
    const old = client;
    client = null;
    void old?.end().catch(() => {});
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = null;
      if (!closed) void connect();
    }, 1000);
    retry.unref();
  };
  await connect();
  return {
    close: async () => {
      closed = true;
      if (retry) clearTimeout(retry);
      const c = client;
      client = null;
      await c?.end().catch(() => {});
    },
  };
}

async function openPglite(config: Extract<DatabaseConfig, { kind: 'pglite' }>): Promise<Database> {
  // Loaded only in this mode: a server deployment never carries the embedded database.
  const [{ PGlite }, { drizzle: drizzlePglite }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('drizzle-orm/pglite'),
  ]);
  if (config.dataDir !== null) fs.mkdirSync(config.dataDir, { recursive: true });
  const client = new PGlite({
    ...(config.dataDir === null ? {} : { dataDir: path.join(config.dataDir, 'pglite') }),
    ...(config.image ? { loadDataDir: config.image } : {}),
  });
  await client.waitReady;
  await client.exec(`set statement_timeout = ${config.statementTimeoutMs}`);
  const db: Db = drizzlePglite(client, { schema });
  return {
    kind: 'pglite',
    db,
    transaction: (fn) => db.transaction(fn),
    ping: async () => {
      await client.query('select 1');
    },
    query: async <Row>(_name: string, text: string, values: unknown[]) =>
      (await client.query<Row>(text, values)).rows,
    listen: async (channel, onMessage) => {
      const unlisten = await client.listen(channel, onMessage);
      return { close: () => (client.closed ? Promise.resolve() : unlisten()) };
    },
    poolStats: () => ({ total: 0, idle: 0, waiting: 0 }),
    close: () => client.close(),
  };
}

/**
 * Applies the committed SQL migrations. On a server, an advisory lock held on a dedicated
 * connection makes two processes starting at once apply them one after the other.
 */
export async function migrateDatabase(config: DatabaseConfig, database: Database): Promise<void> {
  if (config.kind === 'pglite') {
    const { migrate: migratePglite } = await import('drizzle-orm/pglite/migrator');
    await migratePglite(database.db as never, { migrationsFolder: MIGRATIONS_FOLDER });
    return;
  }
  const client = new pg.Client({ connectionString: config.url });
  // A connection that breaks mid-migration fails the statement in progress (start-up then stops
  // with its message); without a listener, its 'error' event would crash the process instead.
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    // Quieten "relation already exists, skipping" notices from the migrator's own table.
    await client.query('set client_min_messages = warning');
    await migratePg(drizzlePg(client), { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => {});
    await client.end();
  }
}

/** Rows of a raw `execute`, the same on both drivers. */
export async function rows<T>(q: Queryable, query: ReturnType<typeof sql>): Promise<T[]> {
  const result: unknown = await q.execute(query);
  return (result as { rows: T[] }).rows;
}

/** Rows a statement changed: `rowCount` on node-postgres, `affectedRows` on PGlite. */
export function affectedRows(result: unknown): number {
  const r = result as { rowCount?: number | null; affectedRows?: number };
  return r.rowCount ?? r.affectedRows ?? 0;
}

/**
 * Newest first on (at, id): the order of the list indexes on `(…, at DESC NULLS LAST, id DESC NULLS
 * LAST)`, which is what drizzle-kit writes for `.desc()`. A plain `order by at desc` means NULLS
 * FIRST, an order such an index cannot give even on NOT NULL columns: PostgreSQL then read and sorted
 * every matching row for each page (docs/benchmarks.md, step 18).
 */
export function newestFirst(at: AnyColumn, id: AnyColumn): [SQL, SQL] {
  return [sql`${at} desc nulls last`, sql`${id} desc nulls last`];
}

/**
 * The rows after a keyset cursor (at, id) in newest-first order. A row comparison, so that the index scan
 * starts at the cursor; the same condition written as `at < x or (at = x and id < y)` is only a
 * filter, and a page deep in a large list read every row before it.
 */
export function olderThan(at: AnyColumn, id: AnyColumn, cursor: readonly [Date, string]): SQL {
  return sql`(${at}, ${id}) < (${cursor[0].toISOString()}::timestamptz, ${cursor[1]})`;
}
