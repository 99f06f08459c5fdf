/**
 * From the official SDK's parsed types (or, for the order a create answers, Junction's JSON) to
 * labline's (types.ts). Only what labline keeps crosses over: the order's lifecycle and the
 * marker values, never the patient block Junction echoes.
 */
import type { Junction } from '@junction-api/sdk';
import { isDocumentedStatus, topLevelOf } from './order-statuses.js';
import type { JunctionLabTest, JunctionOrder, JunctionResults } from './types.js';

/** A Junction answer labline cannot interpret (the SDK parsed it, but it makes no sense to us). */
export class UnexpectedJunctionAnswer extends Error {}

/** What labline reads of an order, from the SDK's parsed type or from the wire. */
interface OrderFields {
  id: string;
  userId: string;
  status: string | null | undefined;
  lastEventStatus: string;
  sampleId: string | null | undefined;
  passthrough: string | null | undefined;
  events: { id: number; status: string; createdAt: Date }[];
  createdAt: Date;
  updatedAt: Date;
}

function toJunctionOrder(order: OrderFields): JunctionOrder {
  const events = [...order.events].sort(
    (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id - b.id,
  );
  const statusDetail = order.lastEventStatus;
  // The detailed status is `high.modality.low`; its first segment is the top-level status. A
  // status Junction adds later is kept as sent, never refused (order-statuses.ts).
  return {
    id: order.id,
    userId: order.userId,
    status: topLevelOf(statusDetail, order.status),
    statusDetail,
    undocumentedStatus: !isDocumentedStatus(statusDetail),
    sampleId: order.sampleId ?? null,
    passthrough: order.passthrough ?? null,
    events: events.map((e) => ({ status: e.status, createdAt: e.createdAt.toISOString() })),
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}

export function mapOrder(order: Junction.ClientFacingOrder): JunctionOrder {
  return toJunctionOrder({
    id: order.id,
    userId: order.userId,
    status: order.status,
    lastEventStatus: String(order.lastEvent.status),
    sampleId: order.sampleId,
    passthrough: order.passthrough,
    events: order.events.map((e) => ({ id: e.id, status: String(e.status), createdAt: e.createdAt })),
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
  });
}

/** A JSON object (not an array, not null). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function wireString(o: Record<string, unknown>, key: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new UnexpectedJunctionAnswer(`order.${key} is not a string`);
  return v;
}

function wireOptionalString(o: Record<string, unknown>, key: string): string | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new UnexpectedJunctionAnswer(`order.${key} is not a string`);
  return v;
}

function wireDate(o: Record<string, unknown>, key: string): Date {
  const d = new Date(wireString(o, key));
  if (Number.isNaN(d.getTime())) throw new UnexpectedJunctionAnswer(`order.${key} is not a date`);
  return d;
}

function wireEvent(v: unknown): { id: number; status: string; createdAt: Date } {
  if (!isRecord(v) || typeof v.id !== 'number')
    throw new UnexpectedJunctionAnswer('order event is not readable');
  return { id: v.id, status: wireString(v, 'status'), createdAt: wireDate(v, 'created_at') };
}

/**
 * An order as Junction's JSON has it (`ClientFacingOrder` on the wire, snake_case), read without
 * the SDK's schema: only the fields labline keeps are checked (see client.ts createOrder).
 */
export function mapWireOrder(raw: unknown): JunctionOrder {
  if (!isRecord(raw)) throw new UnexpectedJunctionAnswer('order is missing');
  const events = raw.events;
  if (!Array.isArray(events)) throw new UnexpectedJunctionAnswer('order.events is not a list');
  return toJunctionOrder({
    id: wireString(raw, 'id'),
    userId: wireString(raw, 'user_id'),
    status: wireOptionalString(raw, 'status'),
    lastEventStatus: wireEvent(raw.last_event).status,
    sampleId: wireOptionalString(raw, 'sample_id'),
    passthrough: wireOptionalString(raw, 'passthrough'),
    events: events.map(wireEvent),
    createdAt: wireDate(raw, 'created_at'),
    updatedAt: wireDate(raw, 'updated_at'),
  });
}

export function mapResults(orderId: string, raw: Junction.LabResultsRaw): JunctionResults {
  // Junction's older result format is an untyped map; only the list format carries markers.
  const markers = Array.isArray(raw.results) ? raw.results : [];
  return {
    orderId,
    status: raw.metadata.status ?? 'unknown',
    sampleId: raw.metadata.specimenNumber || null,
    reportedAt: raw.metadata.dateReported || null,
    collectedAt: raw.metadata.dateCollected || null,
    laboratory: raw.metadata.laboratory || null,
    clia: raw.metadata.clia || null,
    markers: markers.map((m) => ({
      name: m.name,
      slug: m.slug ?? null,
      value: m.result,
      type: m.type ?? null,
      unit: m.unit ?? null,
      referenceRange: m.referenceRange || null,
      minRangeValue: m.minRangeValue ?? null,
      maxRangeValue: m.maxRangeValue ?? null,
      isAboveMaxRange: m.isAboveMaxRange ?? null,
      isBelowMinRange: m.isBelowMinRange ?? null,
      interpretation: m.interpretation ?? null,
      loinc: m.loinc || null,
      providerId: m.providerId || null,
      resultedAt: m.timestamp && !Number.isNaN(m.timestamp.getTime()) ? m.timestamp.toISOString() : null,
    })),
  };
}

export function mapLabTest(test: Junction.ClientFacingLabTest): JunctionLabTest {
  return { id: test.id, name: test.name, slug: test.slug };
}
