/**
 * From the official SDK's parsed types to labline's (types.ts). Only what labline keeps crosses
 * over: the order's lifecycle and the marker values, never the patient block Junction echoes.
 */
import type { Junction } from '@junction-api/sdk';
import {
  JUNCTION_STATUSES,
  type JunctionLabTest,
  type JunctionOrder,
  type JunctionResults,
  type JunctionStatus,
} from './types.js';

/** A Junction answer labline cannot interpret (the SDK parsed it, but it makes no sense to us). */
export class UnexpectedJunctionAnswer extends Error {}

function isStatus(s: string): s is JunctionStatus {
  return (JUNCTION_STATUSES as readonly string[]).includes(s);
}

export function mapOrder(order: Junction.ClientFacingOrder): JunctionOrder {
  const events = [...order.events].sort(
    (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id - b.id,
  );
  const statusDetail = String(order.lastEvent.status);
  // The detailed status is `high.modality.low`; its first segment is the top-level status.
  const top = statusDetail.split('.')[0] ?? '';
  const status = isStatus(top) ? top : order.status && isStatus(order.status) ? order.status : null;
  if (status === null) throw new UnexpectedJunctionAnswer('unrecognised order status');
  return {
    id: order.id,
    userId: order.userId,
    status,
    statusDetail,
    sampleId: order.sampleId ?? null,
    passthrough: order.passthrough ?? null,
    events: events.map((e) => ({ status: String(e.status), createdAt: e.createdAt.toISOString() })),
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}

export function mapResults(orderId: string, raw: Junction.LabResultsRaw): JunctionResults {
  // Junction's older result format is an untyped map; only the list format carries markers.
  const markers = Array.isArray(raw.results) ? raw.results : [];
  return {
    orderId,
    status: raw.metadata.status ?? 'unknown',
    sampleId: raw.metadata.specimenNumber || null,
    reportedAt: raw.metadata.dateReported || null,
    markers: markers.map((m) => ({
      name: m.name,
      slug: m.slug ?? null,
      value: m.result,
      unit: m.unit ?? null,
      minRangeValue: m.minRangeValue ?? null,
      maxRangeValue: m.maxRangeValue ?? null,
      interpretation: m.interpretation ?? null,
    })),
  };
}

export function mapLabTest(test: Junction.ClientFacingLabTest): JunctionLabTest {
  return { id: test.id, name: test.name, slug: test.slug };
}
