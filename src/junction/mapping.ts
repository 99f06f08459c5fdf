/**
 * From the official SDK's parsed types to labline's (types.ts). Only what labline keeps crosses
 * over: the order's lifecycle and the marker values, never the patient block Junction echoes.
 */
import type { Junction } from '@junction-api/sdk';
import { isDocumentedStatus, topLevelOf } from './order-statuses.js';
import type { JunctionLabTest, JunctionOrder, JunctionResults } from './types.js';

export function mapOrder(order: Junction.ClientFacingOrder): JunctionOrder {
  const events = [...order.events].sort(
    (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id - b.id,
  );
  const statusDetail = String(order.lastEvent.status);
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
    events: events.map((e) => ({ status: String(e.status), createdAt: e.createdAt.toISOString() })),
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}

/** A JSON object (not an array, not null). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
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
