/**
 * One schema, one query path, two drivers: node-postgres for a PostgreSQL server, PGlite
 * (embedded, in DATA_DIR or in memory) for demo and tests. Everything above this file sees
 * only `Db` (a Drizzle PostgreSQL database) and `Tx` (the same API bound to a transaction).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  is,
  Param,
  Placeholder,
  sql,
  type AnyColumn,
  type ExtractTablesWithRelations,
  type SQL,
} from 'drizzle-orm';
import { drizzle as drizzlePg, NodePgSession } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgDialect, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
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
    // Each connection plans the hot path's statements once (preparedRows): pg's default closes a
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
  const db = drizzlePg(pool, { schema }) as unknown as Db;
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
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    kind: 'pglite',
    db,
    transaction: (fn) => db.transaction(fn),
    ping: async () => {
      await client.query('select 1');
    },
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

/**
 * `rows` for a statement of the hot path: on a PostgreSQL server it goes out as a named prepared
 * statement (named by a hash of its text), so each pooled connection parses and plans it once
 * instead of on every request. Values come back with node-postgres's own parsing (timestamps as
 * Date), unlike drizzle's raw strings: use it for statements returning text, numbers, booleans.
 * PGlite runs it as `rows` does.
 */
export async function preparedRows<T>(q: Queryable, query: SQL): Promise<T[]> {
  // Drizzle keeps the session and dialect on the database and transaction objects (not typed).
  const { session, dialect } = q as unknown as { session: unknown; dialect: PgDialect };
  if (!is(session, NodePgSession)) return rows<T>(q, query);
  const { sql: text, params } = dialect.sqlToQuery(query);
  return sendNamed<T>(session, { name: statementName(text), text }, params);
}

/**
 * Sends a statement by its name: prepared on node-postgres (planned once per pooled connection),
 * as plain text and values on PGlite. A failure carries the name, which is what a log line may say
 * of the statement (see describeError).
 */
async function sendNamed<T>(
  session: unknown,
  statement: { name: string; text: string },
  values: unknown[],
): Promise<T[]> {
  // Drizzle's session keeps the driver's client: a pg Pool or PoolClient, a PGlite or its transaction.
  const client = (session as { client: { query: (...args: unknown[]) => Promise<{ rows: T[] }> } }).client;
  try {
    if (is(session, NodePgSession)) {
      return (await (client as unknown as pg.Pool).query<T & pg.QueryResultRow>({ ...statement, values }))
        .rows;
    }
    return (await client.query(statement.text, values)).rows;
  } catch (err) {
    if (err && typeof err === 'object') (err as { statement?: string }).statement = statement.name;
    throw err;
  }
}

/** The values of a statement `Part`, by the names its SQL gives them. */
export type Values = Record<string, unknown>;
/** How a `Part` puts the value named `name` into its SQL: `${slot('name')}` where SQL would have `${value}`. */
export type Slot = (name: string) => unknown;

/**
 * A piece of SQL with its values kept apart, by name. `sql(slot)` builds the text; what it builds
 * may depend on the part's shape (which optional pieces it has, how many rows it inserts) but never
 * on a value. Run it as an ordinary statement, or inside one, through `inline`; as (part of) a
 * statement of the hot path through `templateRows`, which builds the text only once per shape.
 */
export interface Part {
  values: Values;
  sql: (slot: Slot) => SQL;
}

/** The part's SQL with its values put in as parameters. */
export function inline(part: Part): SQL {
  return part.sql((name) => valueOf(part.values, name));
}

/**
 * The values of several parts of one statement, as one set. Parts share a statement's names, so a
 * name two parts both give must hold the same value in each (an Idempotency-Key's claim and its
 * key row both name the key): a name given two different values throws instead of letting the
 * later part's value reach the other part's SQL.
 */
export function mergeValues(...sets: (Values | undefined)[]): Values {
  const merged: Values = {};
  for (const set of sets) {
    if (set === undefined) continue;
    for (const name in set) {
      if (name in merged && merged[name] !== set[name]) {
        throw new Error(`statement parts give the value named "${name}" twice, differently`);
      }
      merged[name] = set[name];
    }
  }
  return merged;
}

function valueOf(values: Values, name: string): unknown {
  if (!(name in values)) throw new Error(`statement part has no value named "${name}"`);
  return values[name];
}

interface Template {
  name: string;
  text: string;
  /** per parameter: the placeholder whose value it takes, or a constant of the text */
  slots: ({ placeholder: string; encode?: (v: unknown) => unknown } | { constant: unknown })[];
}
const templates = new Map<string, Template>();

/**
 * `preparedRows` for a statement of the hot path whose SQL text depends only on its `shape`: the
 * part's SQL is built (by drizzle, into text) the first time a shape is seen; later calls only read
 * the part's values and send them with the prepared statement. Building a large statement on every
 * request (drizzle's SQL objects, then the text) was most of drizzle's share of a lab-order
 * create's CPU, and about a sixth of a replay's. The same `shape` must always build the same text.
 */
export async function templateRows<T>(q: Queryable, shape: string, part: Part): Promise<T[]> {
  const { session, dialect } = q as unknown as { session: unknown; dialect: PgDialect };
  const { values } = part;
  let template = templates.get(shape);
  if (template === undefined) {
    const query = part.sql((name) => {
      valueOf(values, name);
      return sql.placeholder(name);
    });
    const { sql: text, params } = dialect.sqlToQuery(query);
    template = {
      name: statementName(text),
      text,
      slots: params.map((p: unknown) =>
        is(p, Placeholder)
          ? { placeholder: p.name }
          : is(p, Param) && is(p.value, Placeholder)
            ? { placeholder: p.value.name, encode: (v: unknown) => p.encoder.mapToDriverValue(v) }
            : { constant: p },
      ),
    };
    templates.set(shape, template);
  }
  const params = template.slots.map((slot) =>
    'constant' in slot
      ? slot.constant
      : slot.encode
        ? slot.encode(valueOf(values, slot.placeholder))
        : valueOf(values, slot.placeholder),
  );
  return sendNamed<T>(session, template, params);
}

/** Statement texts seen, by name: a hot statement's text recurs on every request (bounded: texts vary by shape). */
const statementNames = new Map<string, string>();
const MAX_STATEMENT_NAMES = 1000;

function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `labline_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    if (statementNames.size >= MAX_STATEMENT_NAMES) statementNames.clear();
    statementNames.set(text, name);
  }
  return name;
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
 * every matching row for each page (a brand's million orders: a quarter of a second a page).
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
