/**
 * The Bundle both surfaces answer: a `collection` of Patient, ServiceRequest(s), and, once there
 * is a report, a DiagnosticReport with one Observation per result. The surfaces describe their
 * order or visit as facts (below); this module alone knows FHIR's shape, US Core's profiles and
 * how resources reference each other.
 *
 * Each resource's id is a UUID derived from what it stands for (the patient of a brand, the
 * report of an order, the result of a marker), and its fullUrl is `urn:uuid:<id>`: the same order
 * gives the same ids on every read, so an EHR importing a later Bundle of it (more results, a
 * correction) updates the resources it already has instead of adding copies.
 */
import { createHash } from 'node:crypto';
import type {
  Bundle,
  BundleEntry,
  CodeableConcept,
  DiagnosticReport,
  FhirResource,
  Identifier,
  Observation,
  ObservationReferenceRange,
  Patient,
  Reference,
  ServiceRequest,
} from 'fhir/r4.js';
import { CODING, PROFILE, type InterpretationCode } from './codes.js';
import { interpretation, type ObservationValue } from './values.js';

export interface PatientFacts {
  /** what makes this patient the same across Bundles (tenant and the tenant's id) */
  key: string;
  identifier: { system: string; value: string };
  firstName: string | null;
  lastName: string | null;
  birthDate: string | null;
  /** `null` when labline does not hold it: written `unknown` (US Core needs a gender) */
  gender: 'female' | 'male' | 'other' | 'unknown' | null;
  phone: string | null;
  email: string | null;
  address: {
    lines: string[];
    city: string | null;
    state: string | null;
    postalCode: string | null;
    country: string | null;
  } | null;
}

export interface RequestFacts {
  key: string;
  status: ServiceRequest['status'];
  code: CodeableConcept;
  identifiers: Identifier[];
  /** the identifier shared by the requests placed together (a visit's tests; an order's sample) */
  requisition: Identifier | null;
  authoredOn: string;
  /** when the sample is to be taken (a visit's date) */
  occurrence: string | null;
}

export interface ReportFacts {
  key: string;
  status: DiagnosticReport['status'];
  code: CodeableConcept;
  identifiers: Identifier[];
  /** when the sample was collected */
  effective: string | null;
  issued: string | null;
  /** the performing lab */
  performer: Reference | null;
  conclusion: string | null;
}

export interface ResultFacts {
  key: string;
  /** the request this result answers (a visit's test); null: every request of the Bundle */
  requestKey: string | null;
  status: Observation['status'];
  code: CodeableConcept;
  value: ObservationValue;
  referenceRange: ObservationReferenceRange | null;
  interpretation: InterpretationCode | null;
  effective: string | null;
  issued: string | null;
  performer: Reference | null;
  note: string | null;
}

export interface LabFacts {
  patient: PatientFacts;
  requests: RequestFacts[];
  /** null until there is a report (results, or an order the lab gave up) */
  report: ReportFacts | null;
  results: ResultFacts[];
}

/** labline's namespace for name-based (version 5) UUIDs, RFC 9562 §5.5. */
const NAMESPACE = Buffer.from('8a3f5c1e2b7d4e0f9c6a1b2d3e4f5a6b', 'hex');

/** The UUID a resource gets from what it stands for (`key`): the same key, the same id. */
export function resourceId(key: string): string {
  const hash = createHash('sha1').update(NAMESPACE).update(key).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const urn = (id: string) => `urn:uuid:${id}`;

/** When and by whom: what a report and its results share. */
function performed(f: { effective: string | null; issued: string | null; performer: Reference | null }) {
  return {
    ...(f.effective ? { effectiveDateTime: f.effective } : {}),
    ...(f.issued ? { issued: f.issued } : {}),
    ...(f.performer ? { performer: [f.performer] } : {}),
  };
}

function patientResource(f: PatientFacts, id: string): Patient {
  const given = f.firstName?.trim() ? [f.firstName.trim()] : [];
  const family = f.lastName?.trim() || null;
  const named = given.length > 0 || family !== null;
  const telecom = [
    ...(f.phone ? [{ system: 'phone' as const, value: f.phone }] : []),
    ...(f.email ? [{ system: 'email' as const, value: f.email }] : []),
  ];
  const a = f.address;
  return {
    resourceType: 'Patient',
    id,
    // US Core Patient needs an identifier, a name and a gender: claimed only when there is a name.
    ...(named ? { meta: { profile: [PROFILE.patient] } } : {}),
    identifier: [{ type: { coding: [CODING.patientInternalId] }, ...f.identifier }],
    ...(named
      ? { name: [{ ...(family !== null ? { family } : {}), ...(given.length ? { given } : {}) }] }
      : {}),
    ...(telecom.length ? { telecom } : {}),
    gender: f.gender ?? 'unknown',
    ...(f.birthDate ? { birthDate: f.birthDate } : {}),
    ...(a
      ? {
          address: [
            {
              ...(a.lines.length ? { line: a.lines } : {}),
              ...(a.city ? { city: a.city } : {}),
              ...(a.state ? { state: a.state } : {}),
              ...(a.postalCode ? { postalCode: a.postalCode } : {}),
              ...(a.country ? { country: a.country } : {}),
            },
          ],
        }
      : {}),
  };
}

function requestResource(f: RequestFacts, id: string, subject: Reference): ServiceRequest {
  return {
    resourceType: 'ServiceRequest',
    id,
    meta: { profile: [PROFILE.serviceRequest] },
    ...(f.identifiers.length ? { identifier: f.identifiers } : {}),
    ...(f.requisition ? { requisition: f.requisition } : {}),
    status: f.status,
    intent: 'order',
    category: [{ coding: [CODING.laboratoryProcedure] }],
    code: f.code,
    subject,
    ...(f.occurrence ? { occurrenceDateTime: f.occurrence } : {}),
    authoredOn: f.authoredOn,
  };
}

function reportResource(
  f: ReportFacts,
  id: string,
  subject: Reference,
  basedOn: Reference[],
  results: Reference[],
): DiagnosticReport {
  return {
    resourceType: 'DiagnosticReport',
    id,
    meta: { profile: [PROFILE.diagnosticReport] },
    ...(f.identifiers.length ? { identifier: f.identifiers } : {}),
    basedOn,
    status: f.status,
    category: [{ coding: [CODING.reportLaboratory] }],
    code: f.code,
    subject,
    ...performed(f),
    ...(results.length ? { result: results } : {}),
    ...(f.conclusion ? { conclusion: f.conclusion } : {}),
  };
}

function observationResource(
  f: ResultFacts,
  id: string,
  subject: Reference,
  basedOn: Reference[],
): Observation {
  return {
    resourceType: 'Observation',
    id,
    meta: { profile: [PROFILE.observation] },
    ...(basedOn.length ? { basedOn } : {}),
    status: f.status,
    category: [{ coding: [CODING.observationLaboratory] }],
    code: f.code,
    subject,
    ...performed(f),
    ...f.value,
    ...(f.interpretation ? { interpretation: interpretation(f.interpretation) } : {}),
    ...(f.note ? { note: [{ text: f.note }] } : {}),
    ...(f.referenceRange ? { referenceRange: [f.referenceRange] } : {}),
  };
}

/** The Bundle of an order or a visit, assembled `at` (its timestamp). */
export function labBundle(facts: LabFacts, at: Date): Bundle<FhirResource> {
  const entries: BundleEntry<FhirResource>[] = [];
  const refOf = (key: string): Reference => ({ reference: urn(resourceId(key)) });
  const add = (key: string, make: (id: string) => FhirResource): void => {
    const id = resourceId(key);
    entries.push({ fullUrl: urn(id), resource: make(id) });
  };

  const subject = refOf(facts.patient.key);
  add(facts.patient.key, (id) => patientResource(facts.patient, id));
  const all = facts.requests.map((r) => refOf(r.key));
  for (const r of facts.requests) add(r.key, (id) => requestResource(r, id, subject));
  const report = facts.report;
  if (report) {
    add(report.key, (id) =>
      reportResource(
        report,
        id,
        subject,
        all,
        facts.results.map((r) => refOf(r.key)),
      ),
    );
    for (const r of facts.results) {
      const basedOn = r.requestKey === null ? all : [refOf(r.requestKey)];
      add(r.key, (id) => observationResource(r, id, subject, basedOn));
    }
  }
  return {
    resourceType: 'Bundle',
    type: 'collection',
    timestamp: at.toISOString(),
    entry: entries,
  };
}
