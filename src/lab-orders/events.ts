/** The lab orders' events (docs/events.md), as this feature registers them with the events layer. */
import { clinicalEventSchemas, type EventKind } from '../events/schemas.js';
import { LabOrderSummary } from './schemas.js';

export const LAB_ORDER_EVENT_TYPES = [
  'lab_order.created',
  'lab_order.status_changed',
  'lab_order.rejected',
] as const;
export type LabOrderEventType = (typeof LAB_ORDER_EVENT_TYPES)[number];

export const labOrderEvents: EventKind<typeof LabOrderSummary> = {
  types: LAB_ORDER_EVENT_TYPES,
  typesDescription:
    'lab_order.created: Junction accepted the order; lab_order.status_changed: its status moved on; ' +
    'lab_order.rejected: Junction refused it',
  object: LabOrderSummary,
  objectDescription: 'The lab order as GET /v1/lab-orders/{id} shows it, without its history',
};

export const { ClinicalEvent } = clinicalEventSchemas(labOrderEvents);
