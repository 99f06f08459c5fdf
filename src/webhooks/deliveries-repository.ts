/**
 * Deliveries: one row per event sent (or to be sent) to one endpoint. Pending rows are the work
 * of the delivery jobs: a worker leases a batch of due rows of one endpoint (SKIP LOCKED, the
 * endpoint's row locked meanwhile so the in-flight count it reads is exact), sends them, and
 * records each attempt.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, sql, type SQL } from 'drizzle-orm';
import { newestFirst, olderThan, rows, type Database, type Queryable } from '../db/database.js';
import { enqueueEachSql, enqueueEachStatement } from '../jobs/queue.js';
import type { EndpointRow } from './endpoints-repository.js';
import {
  webhookDeliveries,
  webhookEndpoints,
  type DeliveryAttempt,
  type DeliveryStatus,
  type DeliveryTrigger,
} from './tables.js';

export type DeliveryRow = typeof webhookDeliveries.$inferSelect;

/** A delivery job that fails (not a delivery: the job itself) is retried soon; the sweep wakes it anyway. */
const WAKE_RETRY_DELAYS = [1, 5, 30];

/** The queue of the per-endpoint delivery jobs (jobs.ts). */
export const DELIVER_QUEUE = 'webhooks.deliver';

/**
 * Fan-out, as CTEs of the statement that writes events (so an event and its deliveries commit
 * together, without another round trip), reading the CTE `new_events` (`id`, `type`, `brand_id`,
 * `workspace_id` of the new events). Every enabled endpoint of an event's tenant that takes its
 * type gets a delivery, due now, and the delivery job of each such endpoint is woken (a job per
 * endpoint, singleton: nothing is added while one is pending or running). With no endpoint, both
 * CTEs write nothing. SQL text, for fixed statements (src/events/record.ts).
 */
export const FAN_OUT_CTES = `webhook_fan_out as (
      insert into webhook_deliveries (id, endpoint_id, event_id, event_type, trigger, status, next_attempt_at)
      select gen_random_uuid(), e.id, ev.id, ev.type, 'event', 'pending', now()
      from new_events ev
      join webhook_endpoints e
        on e.enabled and ev.type = any(e.events) and (e.brand_id = ev.brand_id or e.workspace_id = ev.workspace_id)
      on conflict do nothing
      returning endpoint_id),
    webhook_wake as (${enqueueEachSql(
      DELIVER_QUEUE,
      `select jsonb_build_object('endpoint_id', w.endpoint_id) as payload, w.endpoint_id as singleton_key
      from (select distinct endpoint_id from webhook_fan_out) w`,
      { retryDelays: WAKE_RETRY_DELAYS },
    )})`;

/**
 * Wakes the delivery job of each endpoint `endpointIds` (a query of one column, endpoint_id)
 * names: one singleton job per endpoint, through the queue's own insert.
 */
export function wakeStatement(endpointIds: SQL): SQL {
  return enqueueEachStatement(
    DELIVER_QUEUE,
    sql`select jsonb_build_object('endpoint_id', w.endpoint_id) as payload, w.endpoint_id as singleton_key
      from (${endpointIds}) w`,
    { retryDelays: WAKE_RETRY_DELAYS },
  );
}

/** A new delivery of an event to one endpoint, due now (resend, recover). */
export async function insertDelivery(
  q: Queryable,
  endpointId: string,
  event: { id: string; type: string },
  trigger: DeliveryTrigger,
): Promise<DeliveryRow> {
  const now = new Date();
  const [row] = await q
    .insert(webhookDeliveries)
    .values({
      id: randomUUID(),
      endpointId,
      eventId: event.id,
      eventType: event.type,
      trigger,
      status: 'pending',
      nextAttemptAt: now,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  if (!row) throw new Error('insert returned no row');
  return row;
}

/** A new delivery of one event of the endpoint's tenant (resend), due now; null when no such event. */
export async function resendEvent(
  q: Queryable,
  endpoint: EndpointRow,
  eventId: string,
): Promise<DeliveryRow | null> {
  const [event] = await rows<{ id: string; type: string }>(
    q,
    sql`select id, type from events where id = ${eventId} and ${sameTenant(endpoint)}`,
  );
  if (!event) return null;
  const row = await insertDelivery(q, endpoint.id, event, 'resend');
  await q.execute(wakeStatement(sql`select ${endpoint.id}::text as endpoint_id`));
  return row;
}

/**
 * How far before `since` recover looks for an event's deliveries. A delivery is written with its
 * event or after it, but its created_at is the database's clock and the event's is the change's
 * time as the service saw it, so a delivery may read as a little older than its event. The bound
 * lets the anti-join read the endpoint's recent log through its index (there is no index on
 * event_id: tables.ts).
 */
const RECOVER_CLOCK_MARGIN = sql`interval '1 day'`;

/** At most this many events are queued by one recover (call again from the last one's time). */
export const MAX_RECOVER = 10_000;

/**
 * Recover: a new delivery, due now, of every event of the endpoint's tenant and (current) types
 * since `since` (and since the endpoint exists) that has no delivery to it which succeeded or is
 * still pending: those whose delivery failed, and those skipped while it was disabled.
 */
export async function recoverEvents(q: Queryable, endpoint: EndpointRow, since: Date): Promise<number> {
  const from = new Date(Math.max(since.getTime(), endpoint.createdAt.getTime())).toISOString();
  const [row] = await rows<{ queued: number }>(
    q,
    sql`with candidates as (
          select ev.id, ev.type from events ev
          where ${sameTenant(endpoint)} and ev.type = any(${`{${endpoint.events.join(',')}}`}::text[])
            and ev.created_at >= ${from}::timestamptz
            and not exists (
              select 1 from webhook_deliveries d
              where d.endpoint_id = ${endpoint.id} and d.event_id = ev.id and d.status in ('succeeded', 'pending')
                and d.created_at >= ${from}::timestamptz - ${RECOVER_CLOCK_MARGIN})
          order by ev.created_at, ev.id
          limit ${MAX_RECOVER}),
        queued as (
          insert into webhook_deliveries (id, endpoint_id, event_id, event_type, trigger, status, next_attempt_at)
          select gen_random_uuid(), ${endpoint.id}, id, type, 'recover', 'pending', now() from candidates
          returning endpoint_id),
        wake as (${wakeStatement(sql`select ${endpoint.id}::text as endpoint_id where exists (select 1 from queued)`)})
        select count(*)::int as queued from queued`,
  );
  return row?.queued ?? 0;
}

function sameTenant(endpoint: EndpointRow): SQL {
  return endpoint.brandId !== null
    ? sql`brand_id = ${endpoint.brandId}`
    : sql`workspace_id = ${endpoint.workspaceId}`;
}

/** An endpoint's deliveries, newest first, after the cursor's (created_at, id). */
export async function listDeliveries(
  q: Queryable,
  endpointId: string,
  status: DeliveryStatus | undefined,
  after: readonly [Date, string] | null,
  limit: number,
): Promise<DeliveryRow[]> {
  const d = webhookDeliveries;
  return q
    .select()
    .from(d)
    .where(
      and(
        eq(d.endpointId, endpointId),
        status === undefined ? undefined : eq(d.status, status),
        after === null ? undefined : olderThan(d.createdAt, d.id, after),
      ),
    )
    .orderBy(...newestFirst(d.createdAt, d.id))
    .limit(limit);
}

/** A claimed delivery: the row, and what sending it needs from its endpoint. */
export interface ClaimedDelivery {
  id: string;
  eventId: string;
  attemptCount: number;
  url: string;
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
}

/**
 * Leases up to `max` minus the endpoint's deliveries already in flight (leased elsewhere and not
 * expired) of its due pending deliveries, for `leaseMs`. The endpoint's row is locked first, so
 * two workers claiming for it count each other's leases.
 *
 * Nothing is leased for a disabled or deleted endpoint, and what a fan-out that raced the disable
 * or the delete wrote is settled here (the sweep wakes this claim while such a delivery is due):
 * a disabled endpoint's pending deliveries end failed, as the disable's own did; a deleted
 * endpoint's deliveries are deleted, as the delete's own were.
 */
export async function claimDue(
  database: Database,
  endpointId: string,
  max: number,
  leaseMs: number,
): Promise<ClaimedDelivery[]> {
  return database.transaction(async (tx) => {
    const [found] = await tx
      .select({
        enabled: webhookEndpoints.enabled,
        url: webhookEndpoints.url,
        secret: webhookEndpoints.secret,
        previousSecret: webhookEndpoints.previousSecret,
        previousSecretExpiresAt: webhookEndpoints.previousSecretExpiresAt,
      })
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.id, endpointId))
      .for('update');
    if (!found) {
      await tx.execute(sql`delete from webhook_deliveries where endpoint_id = ${endpointId}`);
      return [];
    }
    const { enabled, ...endpoint } = found;
    if (!enabled) {
      await failPendingOfDisabled(tx, endpointId);
      return [];
    }
    const claimed = await rows<{ id: string; event_id: string; attempt_count: number }>(
      tx,
      claimStatement(endpointId, max, leaseMs),
    );
    return claimed.map((r) => ({
      id: r.id,
      eventId: r.event_id,
      attemptCount: r.attempt_count,
      ...endpoint,
    }));
  });
}

/**
 * A delivery a claim may lease: pending, due, and not leased (or its lease expired). The claim
 * and the sweep share it, so the sweep wakes a job exactly when its claim would find work. Its
 * columns are unqualified: they name the innermost `webhook_deliveries` of the query.
 */
const CLAIMABLE = sql`status = 'pending' and next_attempt_at <= now() and (locked_until is null or locked_until < now())`;

/**
 * claimDue's lease of an endpoint's due deliveries: at most `max` in flight (leased and not expired)
 * at once, the earliest due first. It reads the endpoint's own index entries only
 * (webhook_deliveries_endpoint_due_idx, webhook_deliveries_leased_idx): never another endpoint's
 * backlog, nor its own beyond what it leases. The leased rows are updated by id (`= any (array(…))`):
 * joined to `picked`, whose size PostgreSQL cannot know (its limit is computed), the update was
 * planned as a hash join over every delivery in the table.
 */
export function claimStatement(endpointId: string, max: number, leaseMs: number): SQL {
  return sql`with picked as (
      select id from webhook_deliveries
      where endpoint_id = ${endpointId} and ${CLAIMABLE}
      order by next_attempt_at, id
      limit greatest(0, ${max}::int - (
        select count(*)::int from webhook_deliveries
        where endpoint_id = ${endpointId} and status = 'pending' and locked_until is not null
          and locked_until >= now()))
      for update skip locked)
    update webhook_deliveries d
    set locked_until = now() + ${leaseMs}::int * interval '1 millisecond'
    where d.id = any (array(select id from picked))
    returning d.id, d.event_id, d.attempt_count`;
}

/**
 * The endpoints with deliveries due now and not leased (the sweep wakes their jobs, each second).
 * It steps from one endpoint with pending deliveries to the next through the endpoint-first index
 * (a loose index scan) and looks at each one's earliest due deliveries, so an endpoint's backlog
 * is not read: `select distinct endpoint_id` over the due deliveries read every one of them.
 * Deliveries of an endpoint deleted while its fan-out raced are woken too (claimDue deletes them).
 */
export const DUE_ENDPOINTS = sql`with recursive pending(endpoint_id) as (
    (select endpoint_id from webhook_deliveries where status = 'pending' order by endpoint_id limit 1)
    union all
    select (select d.endpoint_id from webhook_deliveries d
            where d.status = 'pending' and d.endpoint_id > p.endpoint_id order by d.endpoint_id limit 1)
    from pending p where p.endpoint_id is not null)
  select p.endpoint_id from pending p
  where p.endpoint_id is not null and exists (
    select 1 from webhook_deliveries d where d.endpoint_id = p.endpoint_id and ${CLAIMABLE})`;

export interface AttemptResult {
  attempt: DeliveryAttempt;
  ok: boolean;
  /** when the next attempt is due; null when there is none (success, or the schedule is spent) */
  retryAt: Date | null;
}

/**
 * Records an attempt on the delivery and on its endpoint's failure clock, in one transaction. A
 * failure starts the clock (if it was not running) and disables the endpoint once it has run
 * `disableAfterHours`; a success stops it. A delivery of a disabled endpoint is not retried.
 * Returns whether this attempt disabled the endpoint.
 */
export async function recordAttempt(
  database: Database,
  deliveryId: string,
  endpointId: string,
  result: AttemptResult,
  disableAfterHours: number,
): Promise<{ disabled: boolean }> {
  const { attempt, ok, retryAt } = result;
  // The failure clock has run out (false while it is not running).
  const overdue = sql`coalesce(e.failing_since <= limits.since, false)`;
  return database.transaction(async (tx) => {
    let enabled = true;
    let disabled = false;
    if (ok) {
      await tx.execute(
        sql`update webhook_endpoints set failing_since = null where id = ${endpointId} and failing_since is not null`,
      );
    } else {
      const [row] = await rows<{ enabled: boolean; disabled: boolean }>(
        tx,
        sql`with before as (select id, enabled from webhook_endpoints where id = ${endpointId} for update),
            limits as (select now() - ${disableAfterHours}::int * interval '1 hour' as since)
            update webhook_endpoints e
            set failing_since = coalesce(e.failing_since, now()),
                enabled = e.enabled and not ${overdue},
                disabled_reason = case when e.enabled and ${overdue}
                  then ${`Every delivery failed for ${disableAfterHours === 1 ? '1 hour' : `${disableAfterHours} hours`} (since `}::text ||
                       to_char(e.failing_since at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ').'
                  else e.disabled_reason end,
                disabled_at = case when e.enabled and ${overdue} then now() else e.disabled_at end
            from before, limits
            where e.id = before.id
            returning e.enabled, (before.enabled and not e.enabled) as disabled`,
      );
      enabled = row?.enabled ?? false;
      disabled = row?.disabled ?? false;
    }
    const status: DeliveryStatus = ok ? 'succeeded' : retryAt !== null && enabled ? 'pending' : 'failed';
    await tx.execute(sql`
      update webhook_deliveries
      set attempts = attempts || ${JSON.stringify([attempt])}::jsonb,
          attempt_count = attempt_count + 1,
          status = ${status},
          next_attempt_at = ${status === 'pending' ? (retryAt as Date).toISOString() : null}::timestamptz,
          locked_until = null,
          updated_at = now()
      where id = ${deliveryId}`);
    if (disabled) await failPendingOfDisabled(tx, endpointId);
    return { disabled };
  });
}

/** An endpoint was disabled: its pending deliveries end `failed` (recover can replay them later). */
export async function failPendingOfDisabled(q: Queryable, endpointId: string): Promise<void> {
  const note: DeliveryAttempt = {
    at: new Date().toISOString(),
    status: null,
    error: 'not sent: the endpoint is disabled',
    duration_ms: 0,
    response_body: null,
  };
  await q.execute(sql`
    update webhook_deliveries
    set status = 'failed', next_attempt_at = null, updated_at = now(),
        attempts = attempts || ${JSON.stringify([note])}::jsonb
    where endpoint_id = ${endpointId} and status = 'pending' and (locked_until is null or locked_until < now())`);
}

/** Deliveries older than the events' retention go with them. */
export async function purgeDeliveries(q: Queryable, olderThan: Date): Promise<number> {
  const deleted = await rows<{ n: number }>(
    q,
    sql`with d as (delete from webhook_deliveries where created_at < ${olderThan.toISOString()}::timestamptz returning 1) select count(*)::int as n from d`,
  );
  return deleted[0]?.n ?? 0;
}

/** Pending deliveries and the age of the oldest due one (metrics). */
export async function queueStats(q: Queryable): Promise<{ depth: number; oldestSeconds: number }> {
  const [row] = await rows<{ depth: number; oldest: number | null }>(
    q,
    sql`select count(*)::int as depth,
               extract(epoch from now() - min(next_attempt_at) filter (where next_attempt_at <= now()))::float8 as oldest
        from webhook_deliveries where status = 'pending'`,
  );
  return { depth: row?.depth ?? 0, oldestSeconds: Math.max(0, row?.oldest ?? 0) };
}
