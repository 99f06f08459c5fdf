/**
 * Event bodies (docs/events.md): the same envelope on both surfaces, `{id, type, created_at,
 * brand_id | workspace_id, data: {object, previous}}`, with the resource as its GET shows it.
 * The events layer knows no feature: a feature registers its event types and the resource its
 * events carry (an `EventKind`), and the envelope's schemas are built from that.
 */
import { Type, type TObject } from 'typebox';
import { NextCursor, PageQuery } from '../http/pagination.js';

/** What a feature registers of its events: their types and the resource they carry. */
export interface EventKind<O extends TObject = TObject> {
  types: readonly string[];
  /** what each type means, for the OpenAPI document */
  typesDescription: string;
  /** the resource as its GET shows it */
  object: O;
  objectDescription: string;
}

export const EventId = Type.String({
  maxLength: 64,
  description: 'evt_ followed by 24 hex digits',
  examples: ['evt_4f6c2a9e0b1d3c5e7f8a9b0c'],
});
const CreatedAt = Type.String({
  format: 'date-time',
  description: 'When the change happened (milliseconds)',
});

const eventType = (kind: EventKind) =>
  Type.Enum([...kind.types], { type: 'string', description: kind.typesDescription });

/** The clinical surface's event schemas (tenant: a brand) for `kind`. */
export function clinicalEventSchemas<O extends TObject>(kind: EventKind<O>) {
  const ClinicalEventType = eventType(kind);
  const ClinicalEvent = Type.Object(
    {
      id: EventId,
      type: ClinicalEventType,
      created_at: CreatedAt,
      brand_id: Type.String(),
      data: Type.Object({
        object: { ...kind.object, description: kind.objectDescription },
        previous: { ...Type.Partial(kind.object), description: "The changed fields' earlier values" },
      }),
    },
    { title: 'ClinicalEvent' },
  );
  const ClinicalEventListQuery = Type.Object({
    brand_id: Type.Optional(
      Type.String({ minLength: 1, maxLength: 128, description: 'One of the token’s brands' }),
    ),
    type: Type.Optional(ClinicalEventType),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'The next_cursor of the previous page' }),
    ),
  });
  const ClinicalEventList = Type.Object({
    data: Type.Array(ClinicalEvent),
    next_cursor: Type.Union([Type.String(), Type.Null()], {
      description: 'pass as `cursor` for the next page',
    }),
  });
  return { ClinicalEvent, ClinicalEventListQuery, ClinicalEventList };
}

/** The workspace surface's event schemas (tenant: a workspace) for `kind`. */
export function workspaceEventSchemas<O extends TObject>(kind: EventKind<O>) {
  const WorkspaceEventType = eventType(kind);
  const WorkspaceEvent = Type.Object(
    {
      id: EventId,
      type: WorkspaceEventType,
      created_at: CreatedAt,
      workspace_id: Type.String(),
      data: Type.Object({
        object: { ...kind.object, description: kind.objectDescription },
        previous: {
          ...Type.Partial(kind.object),
          description: "The changed fields' earlier values (empty for a creation)",
        },
      }),
    },
    { title: 'WorkspaceEvent' },
  );
  const WorkspaceEventListQuery = Type.Object({ type: Type.Optional(WorkspaceEventType), ...PageQuery });
  const WorkspaceEventList = Type.Object({ events: Type.Array(WorkspaceEvent), nextCursor: NextCursor });
  const WorkspaceEventResponse = Type.Object({ event: WorkspaceEvent });
  return { WorkspaceEvent, WorkspaceEventListQuery, WorkspaceEventList, WorkspaceEventResponse };
}
