/**
 * Writing events (docs/events.md): every state change of a lab order or a lab visit writes its
 * event with the change, in the same statement or transaction, so no change is ever without its
 * event and no event without its change.
 *
 * `newEventCtes(at)` gives the CTEs to put in the change's own fixed statement (src/db/statements.ts):
 *   `new_events as (insert into events … returning id, type, brand_id, workspace_id)`
 * followed by the webhook fan-out, which hands the new events to their endpoints and wakes the
 * delivery jobs (FAN_OUT_CTES, src/webhooks/deliveries-repository.ts). `eventParams(event)` gives
 * its parameters. `recordEvent(q, event)` runs them on their own (one statement) in the caller's
 * transaction. The event row is the durable record; the fan-out commits with it.
 */
import { randomBytes } from 'node:crypto';
import type { Queryable } from '../db/database.js';
import { defineStatement, runStatement, type Placeholders } from '../db/statements.js';
import { FAN_OUT_CTES } from '../webhooks/deliveries-repository.js';

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

/** Event ids take their random bytes from the CSPRNG 256 ids at a time, as Node's randomUUID does. */
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

/** The parameters of newEventCtes; all null: no event. */
export interface EventParams {
  eventId: string | null;
  eventType: string | null;
  eventBrandId: string | null;
  eventWorkspaceId: string | null;
  eventAt: string | null;
  eventData: string | null;
}

export function eventParams(event: NewEvent | null): EventParams {
  if (event === null) {
    return {
      eventId: null,
      eventType: null,
      eventBrandId: null,
      eventWorkspaceId: null,
      eventAt: null,
      eventData: null,
    };
  }
  return {
    eventId: newEventId(),
    eventType: event.type,
    eventBrandId: event.brandId ?? null,
    eventWorkspaceId: event.workspaceId ?? null,
    eventAt: (event.at ?? new Date()).toISOString(),
    eventData: JSON.stringify({ object: event.object, previous: event.previous }),
  };
}

/**
 * The CTEs that write the event (none when its id is null) and fan it out, for a `with` clause.
 * `when` (an SQL condition over the rest of the statement) writes it only if the change happened.
 */
export function newEventCtes(at: Placeholders<EventParams>, when = 'true'): string {
  return `new_events as (
    insert into events (id, type, brand_id, workspace_id, created_at, data)
    select ${at.eventId}::text, ${at.eventType}::text, ${at.eventBrandId}::text, ${at.eventWorkspaceId}::text,
           ${at.eventAt}::timestamptz, ${at.eventData}::json
    where ${at.eventId}::text is not null and ${when}
    returning id, type, brand_id, workspace_id),
  ${FAN_OUT_CTES}`;
}

const EVENT_ORDER = {
  eventId: 1,
  eventType: 2,
  eventBrandId: 3,
  eventWorkspaceId: 4,
  eventAt: 5,
  eventData: 6,
} as const;

const recordEventStatement = defineStatement<EventParams, never>(
  'event_record',
  EVENT_ORDER,
  (at) => `with ${newEventCtes(at)} select 1`,
);

/** Writes an event (and its fan-out) in the caller's transaction: one statement. */
export async function recordEvent(q: Queryable, event: NewEvent): Promise<void> {
  await runStatement(q, recordEventStatement, eventParams(event));
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
