/**
 * The clinical surface's schemas. The create request and its 201 answer are the contract's
 * (docs/contracts/clinical-lab-orders.txt) as written, plus the two optional patient fields
 * Junction needs (docs/clinical-lab-orders.md); the rest is this service's own API around it.
 */
import { Type, type Static } from 'typebox';
import { PANEL_IDS } from '../config.js';
import { MAX_BRAND_ID, PastDate } from '../http/schemas.js';
import { JUNCTION_STATUSES } from '../junction/types.js';
import { LAB_ORDER_STATUSES } from './tables.js';

/**
 * A required text of at most `max` characters. Junction takes names of at most 50 characters;
 * the other bounds are generous for addresses and ids and keep absurd input out (400).
 */
const NonEmpty = (max: number, description?: string, example?: string) =>
  Type.String({
    minLength: 1,
    maxLength: max,
    ...(description ? { description } : {}),
    ...(example ? { examples: [example] } : {}),
  });
export const MAX = {
  name: 50,
  brandId: MAX_BRAND_ID,
  addressLine: 100,
  city: 100,
  state: 64,
  zip: 20,
  country: 64,
  email: 254,
  labTestId: 128,
} as const;
const Email = Type.String({ format: 'email', maxLength: MAX.email, examples: ['ada@example.com'] });

export const Gender = Type.Enum(['female', 'male', 'other', 'unknown'], {
  type: 'string',
  description: 'Sex as Junction records it (extension to the contract; Junction requires it)',
});
export const PhoneNumber = Type.String({
  maxLength: 16,
  pattern: '^\\+[1-9][0-9]{6,14}$',
  examples: ['+15555550100'],
  description: 'E.164, e.g. +15555550123 (extension to the contract; Junction requires it)',
});
/** Junction's name rule (docs/junction.md), checked by src/lab-orders/junction-requirements.ts. */
const NAME_RULE =
  "ASCII letters, digits, hyphens, periods, commas, straight apostrophes (') and spaces between words, " +
  'starting with a letter or digit (Junction’s rule); surrounding and repeated spaces are removed';

export const Dob = PastDate({
  description: 'Date of birth, a real past date YYYY-MM-DD; the patient must be 18 or older (Junction)',
  examples: ['1987-03-14'],
});

export const PatientInput = Type.Object(
  {
    first_name: NonEmpty(MAX.name, NAME_RULE, 'Ada'),
    last_name: NonEmpty(MAX.name, NAME_RULE, 'Lovelace'),
    dob: Dob,
    email: Email,
    gender: Type.Optional(Gender),
    phone_number: Type.Optional(PhoneNumber),
  },
  { description: 'Patient demographics; stored in the patient profile for later orders' },
);

export const AddressInput = Type.Object({
  line1: NonEmpty(MAX.addressLine, undefined, '1 Analytical Way'),
  line2: Type.Optional(NonEmpty(MAX.addressLine, undefined, 'Suite 200')),
  city: NonEmpty(MAX.city, undefined, 'San Francisco'),
  state: NonEmpty(MAX.state, 'Two-letter US state code (DC and the territories too)', 'CA'),
  zip: NonEmpty(MAX.zip, 'US ZIP code, 12345 or 12345-6789', '94105'),
  country: NonEmpty(MAX.country, 'ISO 3166-1 alpha-2 country code', 'US'),
});

export const PanelId = Type.Enum([...PANEL_IDS], {
  type: 'string',
  description: 'Lab panel; mapped per brand to a Junction lab test',
});

export const CreateLabOrderBody = Type.Object({
  brand_id: NonEmpty(MAX.brandId, undefined, 'demo-brand'),
  patient_id: Type.String({ format: 'uuid', examples: ['8f14e45f-ceea-467f-a9d5-6b2f1c3e9a10'] }),
  panel_id: PanelId,
  patient: Type.Optional(PatientInput),
  address: Type.Optional(AddressInput),
});
export type CreateLabOrderBody = Static<typeof CreateLabOrderBody>;

/** What reads show: Junction's top-level status, or one of the two states before Junction's answer. */
export const LabOrderStatus = Type.Enum([...LAB_ORDER_STATUSES], {
  type: 'string',
  description:
    "Junction's top-level status, or `submitting` (Junction's answer not yet known) or `rejected` (Junction refused the order)",
});

/** The contract's 201 body, exactly (its `status` is one of Junction's top-level statuses). */
export const LabOrder = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    brand_id: Type.String(),
    patient_id: Type.String({ format: 'uuid' }),
    junction_order_id: Type.String(),
    panel_id: Type.String(),
    status: Type.Enum([...JUNCTION_STATUSES], { type: 'string', description: "Junction's top-level status" }),
    created_at: Type.String({ format: 'date-time' }),
    completed_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { title: 'LabOrder' },
);
export type LabOrder = Static<typeof LabOrder>;

export const LabOrderEvent = Type.Object({
  status: Type.String(),
  status_detail: Type.Union([Type.String(), Type.Null()]),
  source: Type.String({ description: 'junction (the order answer or a webhook) or api (this service)' }),
  occurred_at: Type.String({ format: 'date-time' }),
});

/** What reads return: the contract's fields with the pre-Junction states, detail and history. */
export const LabOrderDetail = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    brand_id: Type.String(),
    patient_id: Type.String({ format: 'uuid' }),
    junction_order_id: Type.Union([Type.String(), Type.Null()], {
      description: 'null while the order is still being submitted, or when Junction rejected it',
    }),
    panel_id: Type.String(),
    status: LabOrderStatus,
    status_detail: Type.Union([Type.String(), Type.Null()], {
      description: "Junction's detailed status, e.g. received.walk_in_test.ordered",
    }),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
    completed_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    events: Type.Array(LabOrderEvent),
  },
  { title: 'LabOrderDetail' },
);
export type LabOrderDetail = Static<typeof LabOrderDetail>;

export const LabOrderSummary = Type.Omit(LabOrderDetail, ['events'], { title: 'LabOrderSummary' });
export type LabOrderSummary = Static<typeof LabOrderSummary>;

export const LabOrderListQuery = Type.Object({
  patient_id: Type.Optional(Type.String({ format: 'uuid' })),
  brand_id: Type.Optional(NonEmpty(MAX.brandId)),
  status: Type.Optional(LabOrderStatus),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
});
export type LabOrderListQuery = Static<typeof LabOrderListQuery>;

/** A row of the list: the order as reads show it, with the name its brand's patient profile keeps. */
export const LabOrderListItem = Type.Object(
  {
    ...LabOrderSummary.properties,
    patient_name: Type.Union([Type.String(), Type.Null()], {
      description:
        "The patient's name as the brand's profile of the patient keeps it (first and last name), null when it keeps none. " +
        'Only in the list; the create answers exactly the contract and events carry no name.',
    }),
  },
  { title: 'LabOrderListItem' },
);
export type LabOrderListItem = Static<typeof LabOrderListItem>;

export const LabOrderList = Type.Object({
  data: Type.Array(LabOrderListItem),
  next_cursor: Type.Union([Type.String(), Type.Null()], {
    description: 'pass as `cursor` for the next page',
  }),
});

export const OrderIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const LabResults = Type.Object({
  order_id: Type.String({ format: 'uuid' }),
  junction_order_id: Type.String(),
  status: Type.String(),
  sample_id: Type.Union([Type.String(), Type.Null()]),
  reported_at: Type.Union([Type.String(), Type.Null()]),
  results: Type.Array(
    Type.Object({
      name: Type.String(),
      slug: Type.Union([Type.String(), Type.Null()]),
      value: Type.String(),
      unit: Type.Union([Type.String(), Type.Null()]),
      min_range_value: Type.Union([Type.Number(), Type.Null()]),
      max_range_value: Type.Union([Type.Number(), Type.Null()]),
      interpretation: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
});

export const PatientParams = Type.Object({ patientId: Type.String({ format: 'uuid' }) });
export const PutPatientBody = Type.Object({
  brand_id: Type.Optional(NonEmpty(MAX.brandId, 'Required unless the token names exactly one brand')),
  patient: Type.Optional(
    Type.Object({
      first_name: Type.Optional(NonEmpty(MAX.name, NAME_RULE)),
      last_name: Type.Optional(NonEmpty(MAX.name, NAME_RULE)),
      dob: Type.Optional(Dob),
      email: Type.Optional(Email),
      gender: Type.Optional(Gender),
      phone_number: Type.Optional(PhoneNumber),
    }),
  ),
  address: Type.Optional(AddressInput),
});
export type PutPatientBody = Static<typeof PutPatientBody>;

export const PatientProfile = Type.Object({
  brand_id: Type.String(),
  patient_id: Type.String({ format: 'uuid' }),
  patient: Type.Object({
    first_name: Type.Union([Type.String(), Type.Null()]),
    last_name: Type.Union([Type.String(), Type.Null()]),
    dob: Type.Union([Type.String(), Type.Null()]),
    email: Type.Union([Type.String(), Type.Null()]),
    gender: Type.Union([Type.String(), Type.Null()]),
    phone_number: Type.Union([Type.String(), Type.Null()]),
  }),
  address: Type.Union([
    Type.Object({
      line1: Type.String(),
      line2: Type.Union([Type.String(), Type.Null()]),
      city: Type.String(),
      state: Type.String(),
      zip: Type.String(),
      country: Type.String(),
    }),
    Type.Null(),
  ]),
  complete: Type.Boolean({ description: 'true when an order can be placed from this profile alone' }),
  updated_at: Type.String({ format: 'date-time' }),
});

export const PanelParams = Type.Object({ brandId: NonEmpty(MAX.brandId), panelId: PanelId });
export const PutPanelBody = Type.Object({
  lab_test_id: NonEmpty(MAX.labTestId, 'The Junction lab test id this panel orders for the brand'),
});
export const PanelMapping = Type.Object({
  brand_id: Type.String(),
  panel_id: Type.String(),
  lab_test_id: Type.Union([Type.String(), Type.Null()]),
  source: Type.String({ description: 'brand (an override), default (configuration) or none' }),
});
