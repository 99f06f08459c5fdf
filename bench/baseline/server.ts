/**
 * The benchmark's baseline: the smallest honest server doing the essential work of a lab order
 * create, so that `npm run bench` can say what labline adds on top of PostgreSQL and Junction.
 *
 *   1. validate the body with the route's own JSON Schema (CreateLabOrderBody, Ajv + ajv-formats);
 *   2. one transaction: claim the Idempotency-Key row and insert the order;
 *   3. the same Junction call labline makes: POST /v3/order with X-Idempotency-Key = the order id;
 *   4. one statement storing Junction's answer on the order and the response on the key.
 *
 * No auth, logging, metrics, audit or patient profiles. A Junction user per patient is known in
 * advance (BASELINE_USERS_FILE), as labline's junction_users cache knows it for a patient seen
 * before. Same pool size, same database (its own tables).
 *
 * Environment: PORT, DATABASE_URL (postgres://… or pglite:<dir>), DB_POOL_SIZE,
 * JUNCTION_BASE_URL, JUNCTION_API_KEY, JUNCTION_PANELS (panel=lab_test_id,…), BASELINE_USERS_FILE.
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import pg from 'pg';
import { CreateLabOrderBody } from '../../src/lab-orders/schemas.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

interface Queryable {
  query(text: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}
interface Store {
  query: Queryable['query'];
  transaction<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
}

const env = process.env;
const databaseUrl = env.DATABASE_URL ?? '';
const poolSize = Number(env.DB_POOL_SIZE ?? '20');
const junctionUrl = env.JUNCTION_BASE_URL ?? '';
const junctionKey = env.JUNCTION_API_KEY ?? '';
const panels = Object.fromEntries(
  (env.JUNCTION_PANELS ?? '').split(',').map((p) => p.split('=') as [string, string]),
);
const users = new Map<string, string>(
  Object.entries(
    JSON.parse(fs.readFileSync(env.BASELINE_USERS_FILE ?? '', 'utf8')) as Record<string, string>,
  ),
);

const SCHEMA = `
  create table if not exists baseline_idempotency (
    key text primary key,
    fingerprint text not null,
    order_id uuid not null,
    response_status integer,
    response_body text,
    created_at timestamptz not null default now()
  );
  create table if not exists baseline_orders (
    id uuid primary key,
    brand_id text not null,
    patient_id uuid not null,
    panel_id text not null,
    lab_test_id text not null,
    status text not null,
    junction_order_id text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  );`;

async function openStore(): Promise<Store> {
  if (databaseUrl.startsWith('pglite:')) {
    const { PGlite } = await import('@electric-sql/pglite');
    const db = new PGlite(databaseUrl.slice('pglite:'.length));
    await db.waitReady;
    await db.exec(SCHEMA);
    return {
      query: (text, params) => db.query(text, params),
      transaction: (fn) => db.transaction((tx) => fn({ query: (text, params) => tx.query(text, params) })),
    };
  }
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize, statement_timeout: 15_000 });
  pool.on('error', () => {});
  await pool.query(SCHEMA);
  return {
    query: (text, params) => pool.query(text, params),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const result = await fn(client);
        await client.query('commit');
        return result;
      } catch (err) {
        await client.query('rollback').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
  };
}

const ajv = new Ajv({ allErrors: true, coerceTypes: false, useDefaults: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(CreateLabOrderBody);

class Refused extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(code);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function createOrder(store: Store, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const key = req.headers['idempotency-key'];
  if (typeof key !== 'string' || key === '') throw new Refused(400, 'missing_idempotency_key');
  const raw = await readBody(req);
  let body: CreateLabOrderBody;
  try {
    body = JSON.parse(raw) as CreateLabOrderBody;
  } catch {
    throw new Refused(400, 'malformed_json');
  }
  if (!validate(body)) throw new Refused(400, 'validation_error');
  const userId = users.get(body.patient_id);
  const labTestId = panels[body.panel_id];
  if (!userId || !labTestId || !body.patient || !body.address) throw new Refused(400, 'patient_incomplete');
  const fingerprint = createHash('sha256').update(raw).digest('hex');
  const id = randomUUID();

  const createdAt = await store.transaction(async (tx) => {
    const claimed = await tx.query(
      'insert into baseline_idempotency (key, fingerprint, order_id) values ($1, $2, $3) on conflict (key) do nothing returning key',
      [key, fingerprint, id],
    );
    if (claimed.rows.length === 0) throw new Refused(409, 'idempotency_key_in_progress');
    const inserted = await tx.query(
      `insert into baseline_orders (id, brand_id, patient_id, panel_id, lab_test_id, status)
       values ($1, $2, $3, $4, $5, 'submitting') returning created_at`,
      [id, body.brand_id, body.patient_id, body.panel_id, labTestId],
    );
    return inserted.rows[0]!.created_at as Date;
  });

  const { patient, address } = body;
  const upstream = await fetch(`${junctionUrl}/v3/order`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-vital-api-key': junctionKey, 'x-idempotency-key': id },
    body: JSON.stringify({
      user_id: userId,
      order_set: { lab_test_ids: [labTestId] },
      passthrough: id,
      patient_details: {
        first_name: patient.first_name,
        last_name: patient.last_name,
        dob: patient.dob,
        gender: patient.gender,
        phone_number: patient.phone_number,
        email: patient.email,
      },
      patient_address: {
        receiver_name: `${patient.first_name} ${patient.last_name}`,
        first_line: address.line1,
        second_line: address.line2,
        city: address.city,
        state: address.state,
        zip: address.zip,
        country: address.country,
      },
    }),
    signal: AbortSignal.timeout(10_000),
  });
  if (!upstream.ok) {
    await upstream.body?.cancel();
    throw new Refused(502, 'junction_unavailable');
  }
  const { order } = (await upstream.json()) as { order: { id: string; status: string } };
  const text = JSON.stringify({
    id,
    brand_id: body.brand_id,
    patient_id: body.patient_id,
    junction_order_id: order.id,
    panel_id: body.panel_id,
    status: order.status,
    created_at: createdAt.toISOString(),
    completed_at: null,
  });
  await store.query(
    `with o as (update baseline_orders set junction_order_id = $2, status = $3, updated_at = now() where id = $1)
     update baseline_idempotency set response_status = 201, response_body = $4 where key = $5`,
    [id, order.id, order.status, text, key],
  );
  send(res, 201, text);
}

async function main(): Promise<void> {
  const store = await openStore();
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/healthz') return send(res, 200, '{"status":"ok"}');
    if (req.method !== 'POST' || req.url !== '/v1/lab-orders') return send(res, 404, '{"error":"not_found"}');
    createOrder(store, req, res).catch((err: unknown) => {
      if (err instanceof Refused) return send(res, err.status, JSON.stringify({ error: err.code }));
      process.stderr.write(`baseline: ${(err as Error).stack ?? String(err)}\n`);
      send(res, 500, '{"error":"internal_error"}');
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(Number(env.PORT ?? '0'), '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    process.stdout.write(`baseline listening on http://127.0.0.1:${port}\n`);
  });
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`baseline failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
