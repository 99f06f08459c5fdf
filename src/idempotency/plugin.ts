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
 */
import { createHash } from 'node:crypto';
import { and, eq, lte, sql, type SQL } from 'drizzle-orm';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { affectedRows, bindValue, rows, type Bind, type Database, type Queryable } from '../db/database.js';
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

export class IdempotencyContext {
  /** true once this request holds the key (claimed, or taken over from a dead request) */
  owned: boolean;
  completed = false;

  constructor(
    readonly principal: string,
    readonly route: string,
    readonly key: string,
    readonly fingerprint: string,
    /** the resource an earlier attempt with this key created without finishing */
    readonly resumedResourceId: string | null,
    tookOver: boolean,
    private readonly options: IdempotencyOptions,
  ) {
    this.owned = tookOver;
  }

  private where(): SQL {
    return keyIs(this.principal, this.route, this.key);
  }

  private leaseUntil(): Date {
    return new Date(Date.now() + this.options.leaseSeconds * 1000);
  }

  /** Records the key and the resource this request creates, in the caller's transaction. */
  async claim(tx: Queryable, resourceId: string | null): Promise<void> {
    const claim = this.claimStatement(resourceId);
    const won = await rows(tx, claim.statement);
    if (claim.gated && won.length === 0) throw new IdempotencyRace();
    this.owned = true;
  }

  /**
   * The one statement of `claim`, also for callers that fold it into a larger statement with the
   * writes it guards (see create-lab-order.ts). `gated`: it returns a row only if this request won
   * the key (a fresh claim); otherwise this request already holds the key (a takeover) and it
   * only records the resource. Call `claimed()` once the statement succeeded (and, when gated,
   * returned its row). `bind` puts the values in (see templateRows).
   */
  claimStatement(resourceId: string | null, bind: Bind = bindValue): { gated: boolean; statement: SQL } {
    if (this.owned) {
      return {
        gated: false,
        statement: sql`update ${idempotencyKeys} set resource_id = ${bind('claim_resource_id', resourceId)} where ${keyIs(this.principal, this.route, this.key, bind)}`,
      };
    }
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.options.ttlHours * 3600 * 1000);
    // A row left by an expired key may be reused; a live one means another request won the race.
    const at = bind('claim_now', now.toISOString());
    return {
      gated: true,
      statement: sql`
        insert into ${idempotencyKeys} (principal, route, key, fingerprint, state, locked_until, resource_id,
                                        response_status, response_body, created_at, expires_at)
        values (${bind('key_principal', this.principal)}, ${bind('key_route', this.route)}, ${bind('key', this.key)},
                ${bind('claim_fingerprint', this.fingerprint)}, 'in_progress',
                ${bind('claim_locked_until', this.leaseUntil().toISOString())}::timestamptz, ${bind('claim_resource_id', resourceId)}, null, null,
                ${at}::timestamptz, ${bind('claim_expires_at', expiresAt.toISOString())}::timestamptz)
        on conflict (principal, route, key) do update set
          fingerprint = excluded.fingerprint, state = excluded.state, locked_until = excluded.locked_until,
          resource_id = excluded.resource_id, response_status = null, response_body = null,
          created_at = excluded.created_at, expires_at = excluded.expires_at
        where ${idempotencyKeys}.expires_at < ${at}::timestamptz
        returning key`,
    };
  }

  /** After a `claimStatement` that succeeded (and, when gated, returned its row). */
  claimed(): void {
    this.owned = true;
  }

  /** Stores the final response for replay, in the caller's transaction. */
  async complete(tx: Queryable, status: number, body: string): Promise<void> {
    if (!this.owned) await this.claim(tx, this.resumedResourceId);
    await tx.execute(this.completionStatement(status, body));
    this.completed = true;
  }

  /**
   * The statement `complete` runs once the key is held, for callers that fold it into one SQL
   * statement with the writes it completes (`when`: only if that SQL condition holds); call
   * `completedWith()` once that statement ran and completed the key.
   */
  completionStatement(status: number, body: string, when?: SQL, bind: Bind = bindValue): SQL {
    if (!this.owned) throw new Error('the idempotency key must be claimed before it is completed');
    return sql`
      update ${idempotencyKeys}
      set state = 'completed', response_status = ${bind('response_status', status)}, response_body = ${bind('response_body', body)}, locked_until = null
      where ${keyIs(this.principal, this.route, this.key, bind)}${when ? sql` and ${when}` : sql``}`;
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

/** The row of one key: (principal, route, key). */
function keyIs(principal: string, route: string, key: string, bind: Bind = bindValue): SQL {
  return sql`${idempotencyKeys.principal} = ${bind('key_principal', principal)} and ${idempotencyKeys.route} = ${bind('key_route', route)} and ${idempotencyKeys.key} = ${bind('key', key)}`;
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
    const { database, metrics } = options;
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
      const [row] = await lookup.execute({ principal, route, key });
      const now = new Date();
      let resumed: string | null = null;
      let tookOver = false;

      if (row && row.expiresAt > now) {
        if (row.fingerprint !== fp) {
          metrics.idempotency.inc({ route, outcome: 'conflict' });
          throw Errors.idempotencyKeyReused();
        }
        if (row.state === 'completed') {
          metrics.idempotency.inc({ route, outcome: 'replayed' });
          void reply.header('idempotent-replayed', 'true');
          return sendJsonText(reply, row.responseStatus ?? 200, row.responseBody ?? '');
        }
        // In progress: take it over only if its lease ran out (the request died or gave up).
        const where = keyIs(principal, route, key);
        const taken = await database.db
          .update(idempotencyKeys)
          .set({ lockedUntil: new Date(now.getTime() + options.leaseSeconds * 1000) })
          .where(and(where, eq(idempotencyKeys.state, 'in_progress'), lte(idempotencyKeys.lockedUntil, now)))
          .returning({ resourceId: idempotencyKeys.resourceId });
        if (taken.length === 0) {
          metrics.idempotency.inc({ route, outcome: 'in_progress' });
          throw Errors.idempotencyKeyInProgress();
        }
        metrics.idempotency.inc({ route, outcome: 'resumed' });
        resumed = taken[0]?.resourceId ?? null;
        tookOver = true;
      }
      request.idempotency = new IdempotencyContext(principal, route, key, fp, resumed, tookOver, options);
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
