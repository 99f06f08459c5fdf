/**
 * The demo's fixed ids and request bodies: seeded by seed.ts, printed as curls by banner.ts, and
 * the examples of the API reference (/docs), so that its "try it" works against a demo as is.
 */

export const DEMO = {
  brandId: 'demo-brand',
  clinicalServiceSub: 'demo-clinical-service',
  adminUserId: '65a0000000000000000000a1',
  ownerUserId: '65a0000000000000000000b1',
  staffUserId: '65a0000000000000000000b2',
  customerUserId: '65a0000000000000000000c1',
  workspaceId: '65a000000000000000000001',
  clientIds: ['65a000000000000000000011', '65a000000000000000000012'] as const,
  referralId: '65a000000000000000000021',
  couponId: '65a000000000000000000031',
  couponCode: 'WINTER10',
  /** a fictional patient for the printed lab order curl */
  patientId: '8f14e45f-ceea-467f-a9d5-6b2f1c3e9a10',
} as const;

/** The lab order the banner's curl and the reference's example place (a fictional patient). */
export const DEMO_LAB_ORDER = {
  brand_id: DEMO.brandId,
  patient_id: DEMO.patientId,
  panel_id: 'hashimotos',
  patient: {
    first_name: 'Ada',
    last_name: 'Lovelace',
    dob: '1985-12-10',
    email: 'ada@example.com',
    gender: 'female',
    phone_number: '+15555550100',
  },
  address: { line1: '1 Analytical Way', city: 'San Francisco', state: 'CA', zip: '94105', country: 'US' },
};

/** Noon UTC a week after the service started: a visit date that is not in the past. */
function aWeekAheadAtNoon(): string {
  const date = new Date(Date.now() + 7 * 86_400_000);
  date.setUTCHours(12, 0, 0, 0);
  return date.toISOString();
}

/**
 * The contract's example visit: tests 101 and 205 (100.00), WINTER10 (10 %), total 90.00. Its date
 * is a week ahead instead of the contract's 2026-01-10, which is past and would need allowPastDate.
 */
export const DEMO_LAB_VISIT = {
  clientId: DEMO.clientIds[0],
  referralId: DEMO.referralId,
  labVisitType: 'in-lab',
  labTestIds: [101, 205],
  labVisitDate: aWeekAheadAtNoon(),
  labVisitNotes: 'Priority visit',
  labCouponCode: DEMO.couponCode,
  labVisitSubtotal: null,
};

/**
 * Examples by parameter or property name: the demo's seeded ids, so that "try it" in the
 * reference works against a demo without edits (and shows ids of the right shape elsewhere).
 */
export const DOCS_EXAMPLES = {
  byName: {
    brand_id: DEMO.brandId,
    brandId: DEMO.brandId,
    patient_id: DEMO.patientId,
    patientId: DEMO.patientId,
    panel_id: 'hashimotos',
    junction_order_id: '2f6c1c0e-9b0a-4d5e-8f61-3b7f0e2a9c41',
    workspaceId: DEMO.workspaceId,
    clientId: DEMO.clientIds[0],
    referralId: DEMO.referralId,
    couponId: DEMO.couponId,
    ownerUserId: DEMO.ownerUserId,
    userId: DEMO.customerUserId,
    testId: 101,
    labCouponCode: DEMO.couponCode,
  },
  /** Whole request bodies, by operation: the bodies the demo's printed curls send. */
  bodies: {
    createLabOrder: DEMO_LAB_ORDER,
    createLabVisit: DEMO_LAB_VISIT,
    createLabVisitViaApiPath: DEMO_LAB_VISIT,
  },
};
