/** The lab visits' events (docs/events.md), as this feature registers them with the events layer. */
import { workspaceEventSchemas, type EventKind } from '../events/schemas.js';
import { LabVisit } from './schemas.js';

export const LAB_VISIT_EVENT_TYPES = [
  'lab_visit.created',
  'lab_visit.updated',
  'lab_visit.results_added',
  'lab_visit.deleted',
] as const;
export type LabVisitEventType = (typeof LAB_VISIT_EVENT_TYPES)[number];

export const labVisitEvents: EventKind<typeof LabVisit> = {
  types: LAB_VISIT_EVENT_TYPES,
  typesDescription:
    'lab_visit.created; lab_visit.updated (status, date or notes); lab_visit.results_added; lab_visit.deleted',
  object: LabVisit,
  objectDescription: 'The lab visit as its GET shows it (`labVisit`)',
};

export const { WorkspaceEvent } = workspaceEventSchemas(labVisitEvents);
