/**
 * Junction's wire format for what the simulator stores: snake_case objects shaped like the
 * official SDK's `ClientFacingOrder`, `ClientFacingUser`, `ClientFacingLabTest` and
 * `LabResultsRaw` schemas (every field those schemas require is present).
 */
import { SIMULATOR_LAB, type SimulatorLabTest } from './catalog.js';
import { CORRECTED, REDRAW_AVAILABLE, topLevel } from './lifecycle.js';
import { simulateResults } from './results.js';
import type { SimOrder, SimUser } from './store.js';

export function userJson(user: SimUser, teamId: string) {
  return {
    user_id: user.userId,
    team_id: teamId,
    client_user_id: user.clientUserId,
    created_on: user.createdOn,
    connected_sources: [],
    fallback_time_zone: null,
    fallback_birth_date: null,
    ingestion_start: null,
    ingestion_end: null,
  };
}

export function labTestJson(test: SimulatorLabTest) {
  return {
    id: test.id,
    slug: test.slug,
    name: test.name,
    sample_type: 'serum',
    method: 'walk_in_test',
    price: test.price,
    is_active: true,
    status: 'active',
    fasting: test.fasting,
    lab: SIMULATOR_LAB,
    markers: test.markers.map((m) => ({
      id: m.id,
      name: m.name,
      slug: m.slug,
      description: null,
      lab_id: SIMULATOR_LAB.id,
      provider_id: String(m.id),
      type: 'biomarker',
      unit: m.unit,
      price: null,
      aoe: null,
      a_la_carte_enabled: false,
      common_tat_days: 3,
      worst_case_tat_days: 7,
      is_orderable: true,
    })),
    is_delegated: false,
    auto_generated: false,
    has_collection_instructions: false,
    common_tat_days: 3,
    worst_case_tat_days: 7,
  };
}

export function orderJson(order: SimOrder, teamId: string) {
  const lastEvent = order.events[order.events.length - 1]!;
  return {
    user_id: order.userId,
    id: order.id,
    team_id: teamId,
    patient_details: order.patientDetails,
    patient_address: order.patientAddress,
    lab_test: labTestJson(order.labTest),
    details: {
      type: 'walk_in_test',
      data: {
        id: order.walkInId,
        created_at: order.createdAt,
        updated_at: order.updatedAt,
        appointment_id: null,
      },
    },
    sample_id: order.sampleId,
    notes: null,
    clinical_notes: null,
    created_at: order.createdAt,
    updated_at: order.updatedAt,
    events: order.events,
    status: topLevel(lastEvent.status),
    last_event: lastEvent,
    physician: order.physician,
    health_insurance_id: null,
    requisition_form_url: null,
    priority: order.priority,
    shipping_details: null,
    activate_by: null,
    passthrough: order.passthrough,
    billing_type: 'client_bill',
    icd_codes: null,
    has_abn: false,
    interpretation: order.reportedAt === null ? null : order.interpretation,
    has_missing_results: false,
    expected_result_by_date: null,
    worst_case_result_by_date: null,
    origin: 'initial',
    order_transaction: null,
  };
}

export function postOrderResponseJson(order: SimOrder, teamId: string, message: string) {
  return { order: orderJson(order, teamId), status: 'success', message };
}

function ageOn(dob: string, at: Date): number {
  const birth = new Date(`${dob}T00:00:00Z`);
  let age = at.getUTCFullYear() - birth.getUTCFullYear();
  const beforeBirthday =
    at.getUTCMonth() < birth.getUTCMonth() ||
    (at.getUTCMonth() === birth.getUTCMonth() && at.getUTCDate() < birth.getUTCDate());
  if (beforeBirthday) age--;
  return age;
}

/** `LabResultsRaw`. Like Junction's, its metadata names the patient: treat it as PHI. */
/** The report's status: `final` once completed or at a redraw, `corrected` after a correction, else `partial`. */
function reportStatus(status: string): string {
  if (status === CORRECTED) return 'corrected';
  return topLevel(status) === 'completed' || status === REDRAW_AVAILABLE ? 'final' : 'partial';
}

export function resultsJson(order: SimOrder, reportedAt: string) {
  const redraw = order.events.some((e) => e.status === REDRAW_AVAILABLE);
  const markers = simulateResults(
    order.id,
    order.labTest,
    reportedAt,
    order.interpretation,
    order.resultTypes,
  );
  const collected =
    order.events.find((e) => topLevel(e.status) === 'sample_with_lab')?.created_at ?? reportedAt;
  return {
    metadata: {
      age: String(ageOn(order.patientDetails.dob, new Date(reportedAt))),
      dob: order.patientDetails.dob,
      'clia_#': '05D0642827',
      patient: `${order.patientDetails.first_name} ${order.patientDetails.last_name}`,
      provider: null,
      laboratory: SIMULATOR_LAB.name,
      date_reported: reportedAt,
      date_collected: collected,
      specimen_number: order.sampleId ?? order.id,
      date_received: collected,
      status: reportStatus(order.events[order.events.length - 1]!.status),
      interpretation: order.interpretation,
      patient_id: null,
      account_id: null,
    },
    results: redraw ? markers.slice(0, -1) : markers,
    // A redraw: the lab could not result the last marker (`lab/workflow/redraws.mdx`).
    missing_results: redraw
      ? markers.slice(-1).map((m) => ({
          name: m.name,
          slug: m.slug,
          inferred_failure_type: 'internal_lab_failure',
          note: 'Not resulted: a redraw is available',
          loinc: m.loinc,
          loinc_slug: m.loinc_slug,
          provider_id: m.provider_id,
        }))
      : [],
    sample_information: null,
    order_transaction: null,
  };
}
