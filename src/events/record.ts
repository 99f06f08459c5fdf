/**
 * Writing events (docs/events.md): every state change of a lab order or a lab visit writes its
 * event with the change, in the same statement or transaction, so no change is ever without its
 * event and no event without its change.
 *
 * `eventCtes(event)` gives the named CTEs to put in the change's own statement:
 *   `new_events as (insert into events … returning id, type, brand_id, workspace_id)`
 * followed by the fan-out (`fanOut` below). `recordEvent(q, event)` runs them on their own (one
 * statement) in the caller's transaction.
 *
 * The seam with outbound webhooks: `fanOut(newEvents)` returns further CTEs of the same statement
 * that hand the new events (a relation with `id`, `type`, `brand_id`, `workspace_id`) to their
 * endpoints and wake the delivery jobs (src/jobs/queue.ts), or null when there is nothing to add.
 * The event row is the durable record; the fan-out commits with it.
 */
import { randomBytes } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import { inline, type Part, type Queryable } from '../db/database.js';
import { fanOutCtes } from '../webhooks/deliveries-repository.js';
import { events } from './tables.js';

/** The CTE name of the events a statement writes (what fan-out reads). */
export const NEW_EVENTS = 'new_events';

/**
 * Further CTEs of an event's statement, reading `newEvents`: the webhook fan-out (see the
 * header; src/webhooks/deliveries-repository.ts).
 */
export function fanOut(newEvents: SQL): SQL | null {
  return fanOutCtes(newEvents);
}

export type NewEvent = {
  /** when the change happened (the event's created_at); defaults to now */
  at?: Date;
  /** the resource exactly as its GET shows it, after the change */
  object: object;
  /** the changed fields' earlier values (empty for a creation) */
  previous: Record<string, unknown>;
} & (
  | { type: string; brandId: string; workspaceId?: never }
  | { type: string; workspaceId: string; brandId?: never }
);

/**
 * Random bytes for event ids, drawn from the CSPRNG 256 ids at a time (as Node's randomUUID
 * caches its entropy): one `randomBytes(12)` per event was about 2 % of a create's CPU.
 */
const ID_BYTES = 12;
let idPool = Buffer.alloc(0);
let idOffset = 0;

export function newEventId(): string {
  if (idOffset + ID_BYTES > idPool.length) {
    idPool = randomBytes(ID_BYTES * 256);
    idOffset = 0;
  }
  const id = `evt_${idPool.toString('hex', idOffset, idOffset + ID_BYTES)}`;
  idOffset += ID_BYTES;
  return id;
}

/**
 * The named CTEs that write `event` and fan it out, for a `with` clause. `when` (a boolean SQL
 * expression over the rest of the statement) writes it only if the change happened.
 */
export function eventCtes(event: NewEvent, when?: SQL): Part {
  return {
    values: {
      event_id: newEventId(),
      event_type: event.type,
      event_brand_id: event.brandId ?? null,
      event_workspace_id: event.workspaceId ?? null,
      event_at: (event.at ?? new Date()).toISOString(),
      event_data: JSON.stringify({ object: event.object, previous: event.previous }),
    },
    sql: (slot) => {
      const insert = sql`${sql.identifier(NEW_EVENTS)} as (
    insert into ${events} (id, type, brand_id, workspace_id, created_at, data)
    select ${slot('event_id')}, ${slot('event_type')}, ${slot('event_brand_id')}::text,
           ${slot('event_workspace_id')}::text,
           ${slot('event_at')}::timestamptz, ${slot('event_data')}::json
    where ${when ?? sql`true`}
    returning id, type, brand_id, workspace_id)`;
      const more = fanOut(sql`${sql.identifier(NEW_EVENTS)}`);
      return more ? sql`${insert}, ${more}` : insert;
    },
  };
}

/** Writes an event (and its fan-out) in the caller's transaction: one statement. */
export async function recordEvent(q: Queryable, event: NewEvent): Promise<void> {
  await q.execute(sql`with ${inline(eventCtes(event))} select 1`);
}

/**
 * The earlier values of the top-level fields that differ between two presentations of a
 * resource (compared as JSON).
 */
export function previousValues<T extends object>(before: T, after: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(after) as (keyof T)[]) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) out[key] = before[key];
  }
  return out;
}
