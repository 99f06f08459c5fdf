/**
 * The lab visit schemas. The create request and the `{"labVisit": …}` answer are the contract's
 * (docs/contracts/workspace-lab-visits.txt), field for field; the rest is this service's API around it.
 * Ids are plain strings here so that a malformed one is 422 `invalid_id`, not a schema 400.
 */
import { Type, type Static } from 'typebox';
import { MAX_TESTS_PER_VISIT, Money } from '../workspaces/money.js';
import {
  Nullable,
  NullableObjectIdString,
  NullableTimestamp,
  ObjectIdString,
  Timestamp,
} from '../workspaces/http.js';
import { NextCursor, PageQuery } from '../http/pagination.js';
import { LAB_VISIT_STATUSES, LAB_VISIT_TYPES, RESULT_FLAGS } from './tables.js';

/**
 * A result value's bound: beyond any measured quantity in any unit (cells per litre reach 10^13).
 * The jsonb column would keep any finite double; the bound is so that every number has one.
 */
const MAX_RESULT_MAGNITUDE = 1e15;

const TestId = Type.Integer({
  minimum: 1,
  maximum: 2_147_483_647,
  description: 'Numeric catalog test id',
  examples: [101],
});
const Notes = Nullable(Type.String({ maxLength: 2000 }), { description: 'Notes, at most 2000 characters' });
const VisitType = Type.Enum(LAB_VISIT_TYPES, { description: '`in-lab` or `at-home`' });
const VisitStatus = Type.Enum(LAB_VISIT_STATUSES, {
  description: 'pending → scheduled → collected → completed; cancelled from pending or scheduled',
});
const Flag = Type.Enum(RESULT_FLAGS);

/** labline's own field (not the contract's): a visit date in the past is booked only when asked for. */
const AllowPastDate = Type.Optional(
  Type.Boolean({
    description:
      'labline’s addition: `true` books or moves a visit to a `labVisitDate` in the past (a visit that already ' +
      'took place); without it a date more than 5 minutes in the past is 400',
  }),
);

export const CreateLabVisitBody = Type.Object(
  {
    clientId: ObjectIdString('Client identifier; a client of this workspace'),
    referralId: Type.Optional(
      NullableObjectIdString('Referral identifier; must belong to the same workspace'),
    ),
    labVisitType: VisitType,
    labTestIds: Type.Array(TestId, {
      minItems: 1,
      maxItems: MAX_TESTS_PER_VISIT,
      uniqueItems: true,
      description: 'Catalog test ids (numbers)',
    }),
    labVisitDate: Type.String({
      format: 'date-time',
      maxLength: 64,
      description: 'ISO date-time with a time zone',
    }),
    labVisitNotes: Type.Optional(Notes),
    labCouponCode: Type.Optional(
      Nullable(Type.String({ minLength: 1, maxLength: 200 }), {
        description: 'Coupon code (any letter case)',
      }),
    ),
    labVisitSubtotal: Type.Optional(
      Nullable(Money('The subtotal to charge instead of the sum of the test prices'), {
        description:
          'Optional subtotal; omitted or null: the sum of the tests’ prices. Setting it needs the workspace ' +
          'owner or the `labs.price_override` permission (403 otherwise)',
      }),
    ),
    allowPastDate: AllowPastDate,
  },
  { additionalProperties: false, title: 'CreateLabVisitRequest' },
);
export type CreateLabVisitBody = Static<typeof CreateLabVisitBody>;

export const UpdateLabVisitBody = Type.Object(
  {
    labVisitStatus: Type.Optional(VisitStatus),
    labVisitNotes: Type.Optional(Notes),
    labVisitDate: Type.Optional(
      Type.String({
        format: 'date-time',
        maxLength: 64,
        description: 'New date; only while pending or scheduled',
      }),
    ),
    allowPastDate: AllowPastDate,
  },
  { additionalProperties: false, minProperties: 1, title: 'UpdateLabVisitRequest' },
);
export type UpdateLabVisitBody = Static<typeof UpdateLabVisitBody>;

export const AttachResultsBody = Type.Object(
  {
    labTestResults: Type.Array(
      Type.Object(
        {
          testId: TestId,
          value: Type.Union(
            [
              Type.Number({ minimum: -MAX_RESULT_MAGNITUDE, maximum: MAX_RESULT_MAGNITUDE }),
              Type.String({ minLength: 1, maxLength: 200 }),
            ],
            {
              description:
                'The measured value: a number (at most 10^15 either side of zero), or text such as "negative" or "<0.5"',
            },
          ),
          unit: Type.Optional(Nullable(Type.String({ maxLength: 50 }))),
          referenceRange: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
          flag: Type.Optional(Nullable(Flag)),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: MAX_TESTS_PER_VISIT },
    ),
  },
  { additionalProperties: false, title: 'AttachLabResultsRequest' },
);
export type AttachResultsBody = Static<typeof AttachResultsBody>;

export const ListLabVisitsQuery = Type.Object({
  clientId: Type.Optional(ObjectIdString('Only this client’s visits')),
  labVisitStatus: Type.Optional(VisitStatus),
  from: Type.Optional(
    Type.String({ format: 'date-time', maxLength: 64, description: 'labVisitDate on or after' }),
  ),
  to: Type.Optional(
    Type.String({ format: 'date-time', maxLength: 64, description: 'labVisitDate on or before' }),
  ),
  ...PageQuery,
});
export type ListLabVisitsQuery = Static<typeof ListLabVisitsQuery>;

export const WorkspaceVisitParams = Type.Object({
  workspaceId: ObjectIdString('Workspace identifier'),
  visitId: ObjectIdString('Lab visit identifier'),
});

const LabTestSnapshot = Type.Object({
  test: Type.Object({ testId: Type.Integer(), testTitle: Type.String() }),
  designTest: Nullable(
    Type.Object({ testId: Type.Integer(), testTitle: Type.String(), price: Type.Number() }),
    {
      description: "The workspace's own title and price when the visit was made, if it had one",
    },
  ),
});

const LabTestResult = Type.Object({
  testId: Type.Integer(),
  value: Type.Union([Type.Number(), Type.String()]),
  unit: Nullable(Type.String()),
  referenceRange: Nullable(Type.String()),
  flag: Nullable(Flag),
  resultedAt: Timestamp,
});

/** The contract's `labVisit`, every field. */
export const LabVisit = Type.Object(
  {
    id: Type.String(),
    workspaceId: Type.String(),
    clientId: Type.String(),
    referralId: Nullable(Type.String()),
    labVisitType: VisitType,
    labVisitStatus: VisitStatus,
    labTestIds: Type.Array(Type.Integer()),
    labTestSnapshots: Type.Array(LabTestSnapshot),
    labTestResults: Type.Array(LabTestResult),
    labVisitDate: Timestamp,
    labVisitNotes: Nullable(Type.String()),
    labVisitPricing: Type.Object({
      labVisitSubtotal: Type.Number(),
      labCouponId: Nullable(Type.String()),
      labCouponCode: Nullable(Type.String()),
      labVisitDiscountAmount: Type.Number(),
      labVisitTotal: Type.Number(),
    }),
    deletedAt: NullableTimestamp,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'LabVisit' },
);
export type LabVisit = Static<typeof LabVisit>;

/** What `POST …/labs/visits/quote` answers: the visit's pricing and snapshots as the create would make them. */
export const LabVisitQuote = Type.Object(
  {
    labVisitPricing: LabVisit.properties.labVisitPricing,
    labTestSnapshots: LabVisit.properties.labTestSnapshots,
  },
  { title: 'LabVisitQuote' },
);

export const LabVisitResponse = Type.Object({ labVisit: LabVisit });
export const LabVisitListResponse = Type.Object({ labVisits: Type.Array(LabVisit), nextCursor: NextCursor });
