/**
 * The first phase of a lab-order create as one statement (atomic on its own, one round trip):
 * claim the Idempotency-Key (claimKeyCtes); only if this request holds it, keep the patient's
 * profile, insert the order as `submitting` and audit both; read the Junction user cached for the
 * patient. A request that loses the claim writes nothing.
 */
import { defineStatement } from '../../db/statements.js';
import { CLAIM_KEY_ORDER, claimKeyCtes, type ClaimKeyParams } from '../../idempotency/sql/claim-key.sql.js';

export interface ClaimOrderParams extends ClaimKeyParams {
  brandId: string;
  patientId: string;
  panelId: string;
  orderId: string;
  /** the panel's lab test when the brand has no override of it */
  defaultLabTestId: string;
  createdBy: string;
  actor: string;
  requestId: string | null;
  junctionEnvironment: string;
  /** false: the request sends nothing about the patient, and the profile is only read (audited as such) */
  hasProfile: boolean;
  /**
   * The profile fields the request sends; null keeps the stored value. An address is sent whole
   * (`addressLine1` is never null in one), and replaces the stored one: its null `addressLine2`
   * clears the stored second line.
   */
  firstName: string | null;
  lastName: string | null;
  dob: string | null;
  email: string | null;
  gender: string | null;
  phoneNumber: string | null;
  addressLine1: string | null;
  addressLine2: string | null;
  city: string | null;
  state: string | null;
  zip: string | null;
  country: string | null;
}

export interface ClaimOrderRow {
  /** this request holds the key, and the order is inserted */
  claimed: boolean;
  lab_test_id: string | null;
  created_at: Date | string | null;
  updated_at: Date | string | null;
  junction_user_id: string | null;
}

export const claimOrder = defineStatement<ClaimOrderParams, ClaimOrderRow>(
  'lab_order_claim',
  {
    ...CLAIM_KEY_ORDER,
    brandId: 10,
    patientId: 11,
    panelId: 12,
    orderId: 13,
    defaultLabTestId: 14,
    createdBy: 15,
    actor: 16,
    requestId: 17,
    junctionEnvironment: 18,
    hasProfile: 19,
    firstName: 20,
    lastName: 21,
    dob: 22,
    email: 23,
    gender: 24,
    phoneNumber: 25,
    addressLine1: 26,
    addressLine2: 27,
    city: 28,
    state: 29,
    zip: 30,
    country: 31,
  },
  (at) => {
    // The profile as it becomes: each field sent, or the stored one.
    const kept = (column: string) => `coalesce(excluded.${column}, p.${column})`;
    const line2 = `case when excluded.address_line1 is null then p.address_line2 else excluded.address_line2 end`;
    const profile = ['first_name', 'last_name', 'dob', 'email', 'gender', 'phone_number', 'address_line1'];
    const address = ['city', 'state', 'zip', 'country'];
    return `with ${claimKeyCtes(at)},
  patient as (
    insert into patients as p (brand_id, patient_id, first_name, last_name, dob, email, gender, phone_number,
                               address_line1, address_line2, city, state, zip, country)
    select ${at.brandId}::text, ${at.patientId}::uuid, ${at.firstName}::text, ${at.lastName}::text, ${at.dob}::date,
           ${at.email}::text, ${at.gender}::text, ${at.phoneNumber}::text, ${at.addressLine1}::text,
           ${at.addressLine2}::text, ${at.city}::text, ${at.state}::text, ${at.zip}::text, ${at.country}::text
    from key_held where ${at.hasProfile}::boolean
    on conflict (brand_id, patient_id) do update set
      ${[...profile, ...address].map((c) => `${c} = ${kept(c)}`).join(', ')},
      address_line2 = ${line2}, updated_at = now()
    -- A profile that already holds what is sent is not written again: updated_at is its last change.
    where (${[...profile, 'address_line2', ...address].map((c) => `p.${c}`).join(', ')})
          is distinct from (${[...profile.map(kept), line2, ...address.map(kept)].join(', ')})
    returning (xmax = 0) as created),
  ord as (
    insert into lab_orders (id, brand_id, patient_id, panel_id, lab_test_id, status, created_by)
    select ${at.orderId}::uuid, ${at.brandId}::text, ${at.patientId}::uuid, ${at.panelId}::text,
           coalesce((select lab_test_id from brand_panels
                     where brand_id = ${at.brandId}::text and panel_id = ${at.panelId}::text),
                    ${at.defaultLabTestId}::text),
           'submitting', ${at.createdBy}::text
    from key_held
    returning lab_test_id, created_at, updated_at),
  -- Audit rows in the order the changes happen: the patient, then the order.
  audit as (
    insert into audit_events (actor, request_id, action, resource_type, resource_id, tenant)
    select ${at.actor}::text, ${at.requestId}::text, a.action, a.resource_type, a.resource_id, ${at.brandId}::text
    from key_held, (values
      (1, case when not ${at.hasProfile}::boolean then 'read'
               when (select created from patient) then 'create' else 'update' end,
       'patient', ${at.patientId}::text),
      (2, 'create', 'lab_order', ${at.orderId}::text)) as a (n, action, resource_type, resource_id)
    order by a.n)
  select exists (select 1 from key_held) as claimed,
         ord.lab_test_id, ord.created_at, ord.updated_at,
         (select junction_user_id from junction_users
          where junction_environment = ${at.junctionEnvironment}::text and brand_id = ${at.brandId}::text
            and patient_id = ${at.patientId}::uuid) as junction_user_id
  from (select 1) as one
  left join ord on true`;
  },
);
