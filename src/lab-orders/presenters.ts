/** Rows → API bodies, and the opaque keyset cursor. */
import { Errors } from '../http/errors.js';
import type { LabOrderEventRow, LabOrderRow } from './orders-repository.js';
import type { LabOrderDetail, LabOrderSummary } from './schemas.js';

export function toSummary(row: LabOrderRow): LabOrderSummary {
  return {
    id: row.id,
    brand_id: row.brandId,
    patient_id: row.patientId,
    junction_order_id: row.junctionOrderId,
    panel_id: row.panelId,
    status: row.status,
    status_detail: row.statusDetail,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    completed_at: row.completedAt ? row.completedAt.toISOString() : null,
  };
}

export function toDetail(row: LabOrderRow, events: LabOrderEventRow[]): LabOrderDetail {
  return {
    ...toSummary(row),
    events: events.map((e) => ({
      status: e.status,
      status_detail: e.statusDetail,
      source: e.source,
      occurred_at: e.occurredAt.toISOString(),
    })),
  };
}

/** The cursor is the last row's (created_at, id), base64url-encoded; clients treat it as opaque. */
export function encodeCursor(row: { createdAt: Date; id: string }): string {
  return Buffer.from(`${row.createdAt.toISOString()}|${row.id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(at ?? '');
  if (!id || !/^[0-9a-f-]{36}$/.test(id) || Number.isNaN(createdAt.getTime())) {
    throw Errors.validation('Invalid querystring: cursor is not one this service issued.', [
      { path: 'querystring:/cursor', message: 'is not a valid cursor' },
    ]);
  }
  return { createdAt, id };
}
