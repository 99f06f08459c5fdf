/**
 * Event bodies (docs/events.md): the same envelope on both surfaces, `{id, type, created_at,
 * brand_id | workspace_id, data: {object, previous}}`, with the resource as its GET shows it.
 */
import { Type, type Static } from 'typebox';
import { LabOrderSummary } from '../lab-orders/schemas.js';
import { LabVisit } from '../lab-visits/schemas.js';
import { NextCursor, PageQuery } from '../workspaces/pagination.js';
import { CLINICAL_EVENT_TYPES, WORKSPACE_EVENT_TYPES } from './tables.js';

const EventId = Type.String({
  maxLength: 64,
  description: 'evt_ followed by 24 hex digits',
  examples: ['evt_4f6c2a9e0b1d3c5e7f8a9b0c'],
});
const CreatedAt = Type.String({
  format: 'date-time',
  description: 'When the change happened (milliseconds)',
});

export const ClinicalEventType = Type.Enum([...CLINICAL_EVENT_TYPES], {
  type: 'string',
  description:
    'lab_order.created: Junction accepted the order; lab_order.status_changed: its status moved on; ' +
    'lab_order.rejected: Junction refused it; lab_order.results_corrected: the lab corrected the results of a completed order',
});
export const WorkspaceEventType = Type.Enum([...WORKSPACE_EVENT_TYPES], {
  type: 'string',
  description:
    'lab_visit.created; lab_visit.updated (status, date or notes); lab_visit.results_added; lab_visit.deleted',
});

export const ClinicalEvent = Type.Object(
  {
    id: EventId,
    type: ClinicalEventType,
    created_at: CreatedAt,
    brand_id: Type.String(),
    data: Type.Object({
      object: {
        ...LabOrderSummary,
        description: 'The lab order as GET /v1/lab-orders/{id} shows it, without its history',
      },
      previous: { ...Type.Partial(LabOrderSummary), description: "The changed fields' earlier values" },
    }),
  },
  { title: 'ClinicalEvent' },
);
export type ClinicalEvent = Static<typeof ClinicalEvent>;

export const WorkspaceEvent = Type.Object(
  {
    id: EventId,
    type: WorkspaceEventType,
    created_at: CreatedAt,
    workspace_id: Type.String(),
    data: Type.Object({
      object: { ...LabVisit, description: 'The lab visit as its GET shows it (`labVisit`)' },
      previous: {
        ...Type.Partial(LabVisit),
        description: "The changed fields' earlier values (empty for a creation)",
      },
    }),
  },
  { title: 'WorkspaceEvent' },
);
export type WorkspaceEvent = Static<typeof WorkspaceEvent>;

export const ClinicalEventListQuery = Type.Object({
  brand_id: Type.Optional(
    Type.String({ minLength: 1, maxLength: 128, description: 'One of the token’s brands' }),
  ),
  type: Type.Optional(ClinicalEventType),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: 'The next_cursor of the previous page' }),
  ),
});
export const ClinicalEventList = Type.Object({
  data: Type.Array(ClinicalEvent),
  next_cursor: Type.Union([Type.String(), Type.Null()], {
    description: 'pass as `cursor` for the next page',
  }),
});
export const ClinicalEventParams = Type.Object({ id: EventId });

export const WorkspaceEventListQuery = Type.Object({ type: Type.Optional(WorkspaceEventType), ...PageQuery });
export const WorkspaceEventList = Type.Object({ events: Type.Array(WorkspaceEvent), nextCursor: NextCursor });
export const WorkspaceEventResponse = Type.Object({ event: WorkspaceEvent });
