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
 * In the handler, inside its own transaction: `claim(tx, resourceId)` records the key together
 * with the resource it creates, and `complete(tx, status, body)` stores the final response, so
 * the resource, the key and the stored answer commit (or vanish) together.
 * A request that ends without completing leaves its key immediately resumable.
 *
 * A route whose handler claims the key in one statement with the resource it creates may skip
 * the lookup (`config.idempotencyLookup: 'on-claim'`, POST /v1/lab-orders): most keys are new, so
 * the claim is tried first, and the statement that loses it reads the key's row, from which
 * `settleLostClaim` decides as the lookup would have (replay, 409, or take over and retry). A
 * handler that would refuse a request before claiming must `lookupNow()` first, so that a stored
 * answer still wins. The lookup's round trip to the database is saved on every new key.
 */
import { createHash } from 'node:crypto';
import { and, eq, lte, sql, type SQL } from 'drizzle-orm';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import {
  affectedRows,
  inline,
  rows,
  type Database,
  type Part,
  type Queryable,
  type Slot,
  type Values,
} from '../db/database.js';
import { Errors, HttpError } from '../http/errors.js';
import { idempotencyKeys } from './tables.js';
import type { Metrics } from '../http/metrics.js';
import type { JobQueue } from '../jobs/queue.js';
import { sendJsonText } from '../http/schemas.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    idempotency?: 'required' | 'optional';
    /** 'on-claim': the handler claims first and settles a lost claim (see above) */
    idempotencyLookup?: 'before-handler' | 'on-claim';
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

/** A key's row, as the lookup or a claim statement that lost reads it. */
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

/** A `key_row` of `keyRowStatement` (both drivers answer jsonb parsed), or null for none. */
function keyRowFromJson(value: unknown): KeyRow | null {
  if (typeof value !== 'object' || value === null) return null;
  const r = value as {
    fingerprint: string;
    state: KeyRow['state'];
    response_status: number | null;
    response_body: string | null;
    expires_at: string;
  };
  return {
    fingerprint: r.fingerprint,
    state: r.state,
    responseStatus: r.response_status,
    responseBody: r.response_body,
    expiresAt: new Date(r.expires_at),
  };
}

export class IdempotencyContext {
  /** true once this request holds the key (claimed, or taken over from a dead request) */
  owned = false;
  completed = false;
  /** the resource an earlier attempt with this key created without finishing */
  resumedResourceId: string | null = null;

  constructor(
    readonly principal: string,
    readonly route: string,
    readonly key: string,
    readonly fingerprint: string,
    /** true while the key's row has not been read: the handler claims first (`idempotencyLookup: 'on-claim'`) */
    public deferred: boolean,
    private readonly lookup: Lookup,
    private readonly options: IdempotencyOptions,
  ) {}

  /**
   * What an existing key means for this request (`row`: the key as read; none, or expired: a new
   * key). Throws 409 for another body or a live request; answers a finished request's stored
   * answer; takes over a key whose request died (`resumedResourceId`, `owned`); null: go on.
   */
  private async settle(row: KeyRow | undefined, now: Date): Promise<StoredAnswer | null> {
    this.deferred = false;
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

  /** Reads the key and settles it (what the plugin does before a handler that did not defer it). */
  async lookupNow(): Promise<StoredAnswer | null> {
    const now = new Date();
    return this.settle(
      await this.lookup({ principal: this.principal, route: this.route, key: this.key }),
      now,
    );
  }

  /**
   * A deferred claim lost: `keyRow` is the `key_row` column of `keyRowStatement` as the claim's
   * statement read it. Missing or expired there, another request claimed it during the statement:
   * it is in progress.
   */
  async settleLostClaim(keyRow: unknown): Promise<StoredAnswer | null> {
    const now = new Date();
    const row = keyRowFromJson(keyRow);
    if (!row || row.expiresAt <= now) {
      this.deferred = false;
      this.options.metrics.idempotency.inc({ route: this.route, outcome: 'in_progress' });
      throw Errors.idempotencyKeyInProgress();
    }
    return this.settle(row, now);
  }

  /**
   * The key's row, one JSON column `key_row`, for a claim statement to return when it loses: the
   * caller hands that column to `settleLostClaim` as it came.
   */
  keyRowStatement(): Part {
    return {
      values: this.keyValues(),
      sql: (slot) => sql`select to_jsonb(k) as key_row from (
        select fingerprint, state, response_status, response_body, expires_at
        from ${idempotencyKeys} where ${keyIs(slot)}) k`,
    };
  }

  /** The values `keyIs` names. */
  private keyValues(): Values {
    return { key_principal: this.principal, key_route: this.route, key: this.key };
  }

  private where(): SQL {
    return inline({ values: this.keyValues(), sql: keyIs });
  }

  private leaseUntil(): Date {
    return new Date(Date.now() + this.options.leaseSeconds * 1000);
  }

  /** Records the key and the resource this request creates, in the caller's transaction. */
  async claim(tx: Queryable, resourceId: string | null): Promise<void> {
    const claim = this.claimStatement(resourceId);
    const won = await rows(tx, inline(claim.statement));
    if (claim.gated && won.length === 0) throw new IdempotencyRace();
    this.owned = true;
  }

  /**
   * The one statement of `claim`, also for callers that fold it into a larger statement with the
   * writes it guards (see create-lab-order.ts). `gated`: it returns a row only if this request won
   * the key (a fresh claim); otherwise this request already holds the key (a takeover) and it
   * only records the resource. Call `claimed()` once the statement succeeded (and, when gated,
   * returned its row).
   */
  claimStatement(resourceId: string | null): { gated: boolean; statement: Part } {
    if (this.owned) {
      return {
        gated: false,
        statement: {
          values: { ...this.keyValues(), claim_resource_id: resourceId },
          sql: (slot) =>
            sql`update ${idempotencyKeys} set resource_id = ${slot('claim_resource_id')} where ${keyIs(slot)}`,
        },
      };
    }
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.options.ttlHours * 3600 * 1000);
    // A row left by an expired key may be reused; a live one means another request won the race.
    // A live key seen by the statement's snapshot (a replay, a retry in progress) is not even tried:
    // ON CONFLICT DO UPDATE locks the row it finds even when its WHERE refuses the update, and that
    // lock made every replay a write (a transaction id, WAL and a flush at commit).
    return {
      gated: true,
      statement: {
        values: {
          ...this.keyValues(),
          claim_fingerprint: this.fingerprint,
          claim_locked_until: this.leaseUntil().toISOString(),
          claim_resource_id: resourceId,
          claim_now: now.toISOString(),
          claim_expires_at: expiresAt.toISOString(),
        },
        sql: (slot) => sql`
        insert into ${idempotencyKeys} (principal, route, key, fingerprint, state, locked_until, resource_id,
                                        response_status, response_body, created_at, expires_at)
        select ${slot('key_principal')}, ${slot('key_route')}, ${slot('key')}, ${slot('claim_fingerprint')}, 'in_progress',
               ${slot('claim_locked_until')}::timestamptz, ${slot('claim_resource_id')}, null, null,
               ${slot('claim_now')}::timestamptz, ${slot('claim_expires_at')}::timestamptz
        where not exists (select 1 from ${idempotencyKeys} where ${keyIs(slot)} and ${idempotencyKeys.expiresAt} >= ${slot('claim_now')}::timestamptz)
        on conflict (principal, route, key) do update set
          fingerprint = excluded.fingerprint, state = excluded.state, locked_until = excluded.locked_until,
          resource_id = excluded.resource_id, response_status = null, response_body = null,
          created_at = excluded.created_at, expires_at = excluded.expires_at
        where ${idempotencyKeys}.expires_at < ${slot('claim_now')}::timestamptz
        returning key`,
      },
    };
  }

  /** After a `claimStatement` that succeeded (and, when gated, returned its row). */
  claimed(): void {
    this.owned = true;
  }

  /** Stores the final response for replay, in the caller's transaction. */
  async complete(tx: Queryable, status: number, body: string): Promise<void> {
    if (!this.owned) await this.claim(tx, this.resumedResourceId);
    await tx.execute(inline(this.completionStatement(status, body)));
    this.completed = true;
  }

  /**
   * The statement `complete` runs once the key is held, for callers that fold it into one SQL
   * statement with the writes it completes (`when`: only if that SQL condition holds); call
   * `completedWith()` once that statement ran and completed the key.
   */
  completionStatement(status: number, body: string, when?: SQL): Part {
    if (!this.owned) throw new Error('the idempotency key must be claimed before it is completed');
    return {
      values: { ...this.keyValues(), response_status: status, response_body: body },
      sql: (slot) => sql`
      update ${idempotencyKeys}
      set state = 'completed', response_status = ${slot('response_status')}, response_body = ${slot('response_body')}, locked_until = null
      where ${keyIs(slot)}${when ? sql` and ${when}` : sql``}`,
    };
  }

  completedWith(): void {
    this.completed = true;
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

/** The row of one key: (principal, route, key), from the values `keyValues` gives. */
function keyIs(slot: Slot): SQL {
  return sql`${idempotencyKeys.principal} = ${slot('key_principal')} and ${idempotencyKeys.route} = ${slot('key_route')} and ${idempotencyKeys.key} = ${slot('key')}`;
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
      const onClaim = request.routeOptions.config.idempotencyLookup === 'on-claim';
      const ctx = new IdempotencyContext(principal, route, key, fp, onClaim, lookupKey, options);
      request.idempotency = ctx;
      if (onClaim) return;
      const stored = await ctx.lookupNow();
      if (stored) return sendStoredAnswer(reply, stored);
    });

    app.addHook('onSend', async (request, _reply, payload) => {
      const ctx = request.idempotency;
      if (ctx?.owned && !ctx.completed) {
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
