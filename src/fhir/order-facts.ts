/**
 * A clinical lab order as FHIR facts (bundle.ts): the brand's patient profile, the order as a
 * ServiceRequest, and Junction's report and markers, when it has them, as a DiagnosticReport and
 * Observations. docs/fhir.md has the table, field by field.
 */
import type {
  CodeableConcept,
  Coding,
  DiagnosticReport,
  Identifier,
  Observation,
  Reference,
  ServiceRequest,
} from 'fhir/r4.js';
import type { JunctionResultMarker, JunctionResults } from '../junction/types.js';
import type { LabOrderEventRow, LabOrderRow } from '../lab-orders/orders-repository.js';
import type { PatientRow } from '../lab-orders/patients.js';
import type { LabOrderStatus } from '../lab-orders/tables.js';
import type { LabFacts, PatientFacts, ReportFacts, ResultFacts } from './bundle.js';
import { brandPatientSystem, CODING, labResultCodeSystem, SYSTEM } from './codes.js';
import { directionOf, instant, interpretationCode, observationValue, referenceRange } from './values.js';

const REQUEST_STATUS: Record<LabOrderStatus, ServiceRequest['status']> = {
  submitting: 'draft',
  received: 'active',
  collecting_sample: 'active',
  sample_with_lab: 'active',
  completed: 'completed',
  cancelled: 'revoked',
  failed: 'revoked',
  rejected: 'revoked',
};

const GENDERS = ['female', 'male', 'other', 'unknown'] as const;

/** A detailed status that says the results were corrected (`completed.walk_in_test.corrected`). */
const isCorrection = (statusDetail: string | null) => statusDetail?.endsWith('.corrected') ?? false;

/**
 * Whether Junction may hold results for the order: once the lab has the sample (partial results
 * come while it is `sample_with_lab`), and for a redraw, whose first draw was resulted.
 */
export function mayHaveResults(order: LabOrderRow): boolean {
  if (!order.junctionOrderId) return false;
  return (
    order.status === 'sample_with_lab' ||
    order.status === 'completed' ||
    order.status === 'failed' ||
    (order.statusDetail?.includes('redraw') ?? false)
  );
}

export function orderPatientFacts(order: LabOrderRow, patient: PatientRow | null): PatientFacts {
  const lines = [patient?.addressLine1, patient?.addressLine2].filter((l): l is string => !!l?.trim());
  const hasAddress = patient !== null && (lines.length > 0 || patient.city || patient.zip);
  const gender = GENDERS.find((g) => g === patient?.gender) ?? null;
  return {
    key: `brand:${order.brandId}:patient:${order.patientId}`,
    identifier: { system: brandPatientSystem(order.brandId), value: order.patientId },
    firstName: patient?.firstName ?? null,
    lastName: patient?.lastName ?? null,
    birthDate: patient?.dob ?? null,
    gender,
    phone: patient?.phoneNumber ?? null,
    email: patient?.email ?? null,
    address: hasAddress
      ? {
          lines,
          city: patient.city,
          state: patient.state,
          postalCode: patient.zip,
          country: patient.country,
        }
      : null,
  };
}

function panelCode(order: LabOrderRow): CodeableConcept {
  return {
    coding: [
      { system: SYSTEM.panel, code: order.panelId },
      { system: SYSTEM.junctionLabTest, code: order.labTestId },
    ],
    text: order.panelId,
  };
}

/** The lab that performed the tests, as a logical reference (its CLIA number) with its name. */
function performerOf(results: JunctionResults): Reference | null {
  if (!results.laboratory && !results.clia) return null;
  return {
    ...(results.clia ? { identifier: { system: SYSTEM.clia, value: results.clia } } : {}),
    ...(results.laboratory ? { display: results.laboratory } : {}),
  };
}

/**
 * The report's status from the order's lifecycle: `cancelled` when the lab gave the order up,
 * `corrected` once Junction reported a correction, `registered` while the report has no result
 * yet, `final` for a completed order whose report Junction calls final, `partial` before.
 */
function reportStatus(
  order: LabOrderRow,
  events: LabOrderEventRow[],
  results: JunctionResults | null,
): DiagnosticReport['status'] {
  if (order.status === 'failed') return 'cancelled';
  if (isCorrection(order.statusDetail) || events.some((e) => isCorrection(e.statusDetail)))
    return 'corrected';
  if (results === null || results.markers.length === 0) return 'registered';
  if (order.status === 'completed' && results.status !== 'partial') return 'final';
  return 'partial';
}

const OBSERVATION_STATUS: Record<DiagnosticReport['status'], Observation['status']> = {
  registered: 'registered',
  partial: 'preliminary',
  preliminary: 'preliminary',
  final: 'final',
  amended: 'amended',
  corrected: 'corrected',
  appended: 'amended',
  cancelled: 'preliminary',
  'entered-in-error': 'entered-in-error',
  unknown: 'unknown',
};

function markerCode(m: JunctionResultMarker, clia: string | null): CodeableConcept {
  const coding: Coding[] = [
    ...(m.loinc ? [{ system: SYSTEM.loinc, code: m.loinc, display: m.name }] : []),
    ...(m.providerId ? [{ system: labResultCodeSystem(clia), code: m.providerId, display: m.name }] : []),
    ...(m.slug ? [{ system: SYSTEM.junctionBiomarker, code: m.slug, display: m.name }] : []),
  ];
  return { ...(coding.length ? { coding } : {}), text: m.name };
}

/** Junction's result types that are text whatever they look like. */
const TEXT_TYPES = new Set(['comment', 'coded_value']);

function markerFacts(
  orderId: string,
  m: JunctionResultMarker,
  key: string,
  results: JunctionResults,
  status: Observation['status'],
  effective: string | null,
  performer: Reference | null,
): ResultFacts {
  const low = m.minRangeValue;
  const high = m.maxRangeValue;
  const direction = m.isAboveMaxRange
    ? 'above'
    : m.isBelowMinRange
      ? 'below'
      : directionOf(m.value, low, high);
  return {
    key: `lab-order:${orderId}:observation:${key}`,
    requestKey: null,
    status,
    code: markerCode(m, results.clia),
    value: observationValue(m.value, m.unit, TEXT_TYPES.has(m.type ?? '')),
    referenceRange: referenceRange(low, high, m.referenceRange, m.unit),
    interpretation: interpretationCode(m.interpretation, direction),
    effective,
    issued: instant(m.resultedAt) ?? instant(results.reportedAt),
    performer,
    note: null,
  };
}

/** A key per marker that stays the same when Junction adds or reorders markers (a corrected report). */
function markerKeys(markers: JunctionResultMarker[]): string[] {
  const seen = new Map<string, number>();
  return markers.map((m) => {
    const base = m.loinc ?? m.providerId ?? m.slug ?? m.name;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}#${n}`;
  });
}

/**
 * The order's facts. `results` are Junction's (null when it has none for the order); `events`
 * its history, which says when the sample reached the lab and whether results were corrected.
 */
export function orderFacts(
  order: LabOrderRow,
  patient: PatientRow | null,
  events: LabOrderEventRow[],
  results: JunctionResults | null,
): LabFacts {
  const requestKey = `lab-order:${order.id}:service-request`;
  const identifiers: Identifier[] = [
    { type: { coding: [CODING.placerId] }, system: SYSTEM.labOrder, value: order.id },
    ...(order.junctionOrderId ? [{ system: SYSTEM.junctionOrder, value: order.junctionOrderId }] : []),
  ];
  const sample = results?.sampleId ?? null;
  const facts: LabFacts = {
    patient: orderPatientFacts(order, patient),
    requests: [
      {
        key: requestKey,
        status: REQUEST_STATUS[order.status],
        code: panelCode(order),
        identifiers,
        requisition: sample ? { system: SYSTEM.junctionSample, value: sample } : null,
        authoredOn: order.createdAt.toISOString(),
        occurrence: null,
      },
    ],
    report: null,
    results: [],
  };
  if (results === null && order.status !== 'failed') return facts;

  const status = reportStatus(order, events, results);
  const reachedLab = events.find((e) => e.status === 'sample_with_lab')?.occurredAt ?? null;
  const effective = instant(results?.collectedAt) ?? instant(reachedLab);
  const performer = results ? performerOf(results) : null;
  const report: ReportFacts = {
    key: `lab-order:${order.id}:diagnostic-report`,
    status,
    code: panelCode(order),
    identifiers: sample
      ? [{ type: { coding: [CODING.accessionId] }, system: SYSTEM.junctionSample, value: sample }]
      : [],
    effective,
    issued:
      instant(results?.reportedAt) ??
      (status === 'cancelled' ? instant(order.statusAt ?? order.updatedAt) : null),
    performer,
    conclusion:
      status === 'cancelled'
        ? `The lab could not complete the order (${order.statusDetail ?? 'failed'}).`
        : null,
  };
  const markers = results?.markers ?? [];
  const keys = markerKeys(markers);
  return {
    ...facts,
    report,
    results: markers.map((m, i) =>
      markerFacts(order.id, m, keys[i]!, results!, OBSERVATION_STATUS[status], effective, performer),
    ),
  };
}
