/**
 * Idempotency-Key handling (docs/clinical-lab-orders.md, after Stripe and the IETF draft), kept in PostgreSQL so it
 * holds across replicas. A route opts in with `config.idempotency: 'required' | 'optional'`.
 *
 * Before the handler (auth, validation and the route's `authorize` have passed, so failures there
 * store nothing, and a caller they refuse is never answered from a stored response):
 *   - finished request with the same key and body → replay its status and body byte for byte,
 *     with `Idempotent-Replayed: true`;
 *   - same key, different body → 409 `idempotency_key_reused`;
 *   - same key still running (lease not expired) → 409 `idempotency_key_in_progress`, Retry-After: 1;
 *   - same key whose request died or ended with an unknown outcome → taken over: the handler sees
 *     `resumedResourceId` and resumes that resource instead of creating another.
 * In the handler: `claim` records the key with the resource the request creates, and `complete`
 * stores the final response, each in the same transaction or statement as the writes it guards, so
 * the resource, the key and the stored answer commit (or vanish) together (IdempotencyContext).
 * A claim that loses (a twin claimed the key between the lookup and the claim) answers 409
 * `idempotency_key_in_progress`. A request that ends without completing leaves its key
 * immediately resumable.
 */
import { createHash } from 'node:crypto';
import { and, eq, lte, sql, type SQL } from 'drizzle-orm';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { affectedRows, type Database, type Queryable } from '../db/database.js';
import { runStatement } from '../db/statements.js';
import { claimKey, type ClaimKeyParams } from './sql/claim-key.sql.js';
import { completeKey, type CompleteKeyParams } from './sql/complete-key.sql.js';
import { Errors, HttpError } from '../http/errors.js';
import { idempotencyKeys } from './tables.js';
import type { Metrics } from '../http/metrics.js';
import type { JobQueue } from '../jobs/queue.js';
import { sendJsonText } from '../http/schemas.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    idempotency?: 'required' | 'optional';
  }
  interface FastifyRequest {
    idempotency: IdempotencyContext | null;
  }
}

export interface IdempotencyOptions {
  database: Database;
  metrics: Metrics;
  /** the job queue that runs the purge of expired keys */
  jobs: JobQueue;
  ttlHours: number;
  leaseSeconds: number;
}

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const PURGE_EVERY_SECONDS = 10 * 60;
const PURGE_BATCH = 5000;

/** Raised inside a handler's transaction when another request claimed the key first. */
export class IdempotencyRace extends HttpError {
  constructor() {
    const e = Errors.idempotencyKeyInProgress();
    super(e.statusCode, e.code, e.message, undefined, e.headers);
  }
}

/** A key's row, as the lookup reads it. */
export interface KeyRow {
  fingerprint: string;
  state: 'in_progress' | 'completed';
  responseStatus: number | null;
  responseBody: string | null;
  expiresAt: Date;
}

/** The stored answer of a finished request with the same key and body, to send again. */
export interface StoredAnswer {
  status: number;
  text: string;
  replayed: true;
}

type Lookup = (key: { principal: string; route: string; key: string }) => Promise<KeyRow | undefined>;

/**
 * One request's Idempotency-Key: `replay`, `claim` and `complete`. A claim and a completion run
 * on their own in the caller's transaction (`claim(tx, …)`, `complete(tx, …)`), or within a
 * statement that writes the key together with what it guards (`claimWith`, `completeWith`, with the
 * SQL of ./sql/). The plugin runs `replay` before a handler.
 */
export class IdempotencyContext {
  /** the resource an earlier attempt with this key created without finishing: resume it */
  resumedResourceId: string | null = null;
  /** this request holds the key: it claimed it, or took it over from a request that died */
  private owned = false;
  private completed = false;

  constructor(
    readonly principal: string,
    readonly route: string,
    readonly key: string,
    readonly fingerprint: string,
    private readonly lookup: Lookup,
    private readonly options: IdempotencyOptions,
  ) {}

  /** The request holds the key and has not stored its answer: the plugin releases it at the end. */
  get unfinished(): boolean {
    return this.owned && !this.completed;
  }

  /**
   * Reads the key and says what it means for this request: a finished request's stored answer to
   * send again; 409 for another body or a request still running; null to go on (a new key, or one
   * whose request died, taken over: `resumedResourceId`).
   */
  async replay(): Promise<StoredAnswer | null> {
    const now = new Date();
    return this.settle(
      await this.lookup({ principal: this.principal, route: this.route, key: this.key }),
      now,
    );
  }

  /** Claims the key for `resourceId` in the caller's transaction; 409 when another request holds it. */
  async claim(tx: Queryable, resourceId: string | null): Promise<void> {
    await this.claimWith(resourceId, async (key) => {
      const [row] = await runStatement(tx, claimKey, key);
      return { held: row?.held ?? false };
    });
  }

  /**
   * Claims the key for `resourceId` by `write`, a statement that claims it together with what it
   * guards (claimKeyCtes with `key`: claim-key.sql.ts), and answers the write's result. A claim
   * that loses means a twin request claimed the key since the lookup: 409, and the statement
   * wrote nothing.
   */
  async claimWith<T extends { held: boolean }>(
    resourceId: string | null,
    write: (key: ClaimKeyParams) => Promise<T>,
  ): Promise<T> {
    const now = new Date();
    const outcome = await write({
      principal: this.principal,
      route: this.route,
      key: this.key,
      fingerprint: this.fingerprint,
      lockedUntil: new Date(now.getTime() + this.options.leaseSeconds * 1000).toISOString(),
      resourceId,
      now: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.options.ttlHours * 3600 * 1000).toISOString(),
      owned: this.owned,
    });
    if (!outcome.held) {
      this.options.metrics.idempotency.inc({ route: this.route, outcome: 'in_progress' });
      throw new IdempotencyRace();
    }
    this.owned = true;
    return outcome;
  }

  /** Stores the final response for replay, in the caller's transaction. */
  async complete(tx: Queryable, status: number, body: string): Promise<void> {
    if (this.completed) return;
    if (!this.owned) await this.claim(tx, this.resumedResourceId);
    await this.completeWith(status, body, async (key) => {
      await runStatement(tx, completeKey, key);
      return true;
    });
  }

  /**
   * Stores the final response by `write`, a statement that stores it together with what it answers
   * (completeKeyUpdate with `key`: complete-key.sql.ts), which says whether it did (false: it wrote
   * nothing, and the caller completes the key another way). The key must be held.
   */
  async completeWith(
    status: number,
    body: string,
    write: (key: CompleteKeyParams) => Promise<boolean>,
  ): Promise<boolean> {
    if (!this.owned) throw new Error('the idempotency key must be claimed before it is completed');
    const key = { principal: this.principal, route: this.route, key: this.key };
    const written = await write({ ...key, responseStatus: status, responseBody: body });
    if (written) this.completed = true;
    return written;
  }

  /**
   * What an existing key means for this request (`row`: the key as read; none, or expired: a new
   * key). Throws 409 for another body or a live request; answers a finished request's stored
   * answer; takes over a key whose request died (`resumedResourceId`, `owned`); null: go on.
   */
  private async settle(row: KeyRow | undefined, now: Date): Promise<StoredAnswer | null> {
    if (!row || row.expiresAt <= now) return null;
    const { metrics, database, leaseSeconds } = this.options;
    if (row.fingerprint !== this.fingerprint) {
      metrics.idempotency.inc({ route: this.route, outcome: 'conflict' });
      throw Errors.idempotencyKeyReused();
    }
    if (row.state === 'completed') {
      metrics.idempotency.inc({ route: this.route, outcome: 'replayed' });
      return { status: row.responseStatus ?? 200, text: row.responseBody ?? '', replayed: true };
    }
    // In progress: take it over only if its lease ran out (the request died or gave up).
    const taken = await database.db
      .update(idempotencyKeys)
      .set({ lockedUntil: new Date(now.getTime() + leaseSeconds * 1000) })
      .where(
        and(this.where(), eq(idempotencyKeys.state, 'in_progress'), lte(idempotencyKeys.lockedUntil, now)),
      )
      .returning({ resourceId: idempotencyKeys.resourceId });
    if (taken.length === 0) {
      metrics.idempotency.inc({ route: this.route, outcome: 'in_progress' });
      throw Errors.idempotencyKeyInProgress();
    }
    metrics.idempotency.inc({ route: this.route, outcome: 'resumed' });
    this.resumedResourceId = taken[0]?.resourceId ?? null;
    this.owned = true;
    return null;
  }

  private where(): SQL {
    return and(
      eq(idempotencyKeys.principal, this.principal),
      eq(idempotencyKeys.route, this.route),
      eq(idempotencyKeys.key, this.key),
    )!;
  }

  /** Makes an unfinished key resumable at once (the request ended without a final answer). */
  async release(q: Queryable): Promise<void> {
    await q
      .update(idempotencyKeys)
      .set({ lockedUntil: new Date() })
      .where(and(this.where(), eq(idempotencyKeys.state, 'in_progress')));
  }
}

/** Sends a stored answer again, marked `Idempotent-Replayed: true`. */
export function sendStoredAnswer(reply: FastifyReply, answer: StoredAnswer): FastifyReply {
  void reply.header('idempotent-replayed', 'true');
  return sendJsonText(reply, answer.status, answer.text);
}

/** SHA-256 of the canonical JSON (sorted keys) of the route params and body. */
export function fingerprint(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The key scope's route: method and pattern, with the `/api` alias folded onto `/v1`. */
function routeId(request: FastifyRequest): string {
  return `${request.method} ${(request.routeOptions.url ?? request.url).replace(/^\/api\//, '/')}`;
}

export const idempotencyPlugin = fp<IdempotencyOptions>(
  async function idempotency(app: FastifyInstance, options) {
    const { database } = options;
    app.decorateRequest('idempotency', null);
    // Every request with a key starts here: a prepared statement, built (and planned) once.
    const lookup = database.db
      .select()
      .from(idempotencyKeys)
      .where(
        and(
          eq(idempotencyKeys.principal, sql.placeholder('principal')),
          eq(idempotencyKeys.route, sql.placeholder('route')),
          eq(idempotencyKeys.key, sql.placeholder('key')),
        ),
      )
      .prepare('idempotency_key_lookup');
    const lookupKey: Lookup = async (k) => (await lookup.execute(k))[0];

    app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
      const mode = request.routeOptions.config.idempotency;
      if (!mode) return;
      const header = request.headers['idempotency-key'];
      const key = Array.isArray(header) ? header[0] : header;
      if (key === undefined || key === '') {
        if (mode === 'required') throw Errors.missingIdempotencyKey();
        return;
      }
      if (!KEY_PATTERN.test(key)) throw Errors.invalidIdempotencyKey();

      const principal = request.principal?.sub ?? 'anonymous';
      const route = routeId(request);
      const fp = fingerprint({ params: request.params ?? null, body: request.body ?? null });
      const ctx = new IdempotencyContext(principal, route, key, fp, lookupKey, options);
      request.idempotency = ctx;
      const stored = await ctx.replay();
      if (stored) return sendStoredAnswer(reply, stored);
    });

    app.addHook('onSend', async (request, _reply, payload) => {
      const ctx = request.idempotency;
      if (ctx?.unfinished) {
        await ctx.release(database.db).catch((err: unknown) => {
          request.log.warn({ err }, 'could not release idempotency key');
        });
      }
      return payload;
    });

    options.jobs.periodic('idempotency.purge', PURGE_EVERY_SECONDS, async () => {
      await purgeExpired(database);
    });
  },
  { name: 'labline-idempotency' },
);

/** Deletes expired keys in batches (a periodic job: once per period across replicas). */
export async function purgeExpired(database: Database): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await database.db.execute(sql`
      delete from idempotency_keys where ctid in (
        select ctid from idempotency_keys where expires_at < now() limit ${PURGE_BATCH}
      )`);
    const n = affectedRows(deleted);
    total += n;
    if (n < PURGE_BATCH) return total;
  }
}
