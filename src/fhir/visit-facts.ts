/**
 * A workspace lab visit as FHIR facts (bundle.ts): the workspace's client, one ServiceRequest per
 * test of the visit, and, once results are attached, a DiagnosticReport with one Observation per
 * result. docs/fhir.md has the table, field by field.
 */
import type { DiagnosticReport, ServiceRequest } from 'fhir/r4.js';
import type { LabVisitRow } from '../lab-visits/repository.js';
import type { LabVisitStatus, StoredLabTestResult } from '../lab-visits/tables.js';
import type { ClientRow } from '../workspaces/clients-repository.js';
import type { LabFacts, PatientFacts, RequestFacts, ResultFacts } from './bundle.js';
import { CODING, labVisitSystem, labVisitTestSystem, SYSTEM, workspaceClientSystem } from './codes.js';
import {
  directionOf,
  instant,
  interpretationCode,
  observationValue,
  parseRange,
  referenceRange,
} from './values.js';

const REQUEST_STATUS: Record<LabVisitStatus, ServiceRequest['status']> = {
  pending: 'active',
  scheduled: 'active',
  collected: 'active',
  completed: 'completed',
  cancelled: 'revoked',
};

/** Results can be attached once the sample is collected: final when the visit is completed. */
const REPORT_STATUS: Record<LabVisitStatus, DiagnosticReport['status']> = {
  pending: 'registered',
  scheduled: 'registered',
  collected: 'partial',
  completed: 'final',
  cancelled: 'cancelled',
};

export function clientPatientFacts(workspaceId: string, client: ClientRow): PatientFacts {
  return {
    key: `workspace:${workspaceId}:client:${client.id}`,
    identifier: { system: workspaceClientSystem(workspaceId), value: client.id },
    firstName: client.firstName,
    lastName: client.lastName,
    birthDate: client.dob,
    // A workspace holds no gender for its clients.
    gender: null,
    phone: client.phone,
    email: client.email,
    address: null,
  };
}

function testTitle(visit: LabVisitRow, testId: number): string {
  const snapshot = visit.labTestSnapshots.find((s) => s.test.testId === testId);
  return snapshot?.designTest?.testTitle ?? snapshot?.test.testTitle ?? `Test ${testId}`;
}

const requestKey = (visit: LabVisitRow, testId: number) => `lab-visit:${visit.id}:service-request:${testId}`;

function resultFacts(visit: LabVisitRow, r: StoredLabTestResult): ResultFacts {
  const title = testTitle(visit, r.testId);
  const { low, high } = r.referenceRange === null ? { low: null, high: null } : parseRange(r.referenceRange);
  return {
    key: `lab-visit:${visit.id}:observation:${r.testId}`,
    requestKey: requestKey(visit, r.testId),
    status: visit.status === 'completed' ? 'final' : 'preliminary',
    code: { coding: [{ system: SYSTEM.labTest, code: String(r.testId), display: title }], text: title },
    value: observationValue(r.value, r.unit),
    referenceRange: referenceRange(low, high, r.referenceRange, r.unit),
    interpretation: interpretationCode(r.flag, directionOf(r.value, low, high)),
    effective: instant(visit.labVisitDate),
    issued: instant(r.resultedAt),
    performer: null,
    note: null,
  };
}

export function visitFacts(visit: LabVisitRow, client: ClientRow): LabFacts {
  const requisition = { system: labVisitSystem(visit.workspaceId), value: visit.id };
  const requests: RequestFacts[] = visit.labTestIds.map((testId) => {
    const title = testTitle(visit, testId);
    return {
      key: requestKey(visit, testId),
      status: REQUEST_STATUS[visit.status],
      code: { coding: [{ system: SYSTEM.labTest, code: String(testId), display: title }], text: title },
      identifiers: [
        {
          type: { coding: [CODING.placerId] },
          system: labVisitTestSystem(visit.workspaceId),
          value: `${visit.id}-${testId}`,
        },
      ],
      requisition,
      authoredOn: visit.createdAt.toISOString(),
      occurrence: instant(visit.labVisitDate),
    };
  });
  const facts: LabFacts = {
    patient: clientPatientFacts(visit.workspaceId, client),
    requests,
    report: null,
    results: [],
  };
  if (visit.labTestResults.length === 0) return facts;

  const issued = visit.labTestResults
    .map((r) => instant(r.resultedAt))
    .filter((t): t is string => t !== null);
  return {
    ...facts,
    report: {
      key: `lab-visit:${visit.id}:diagnostic-report`,
      status: REPORT_STATUS[visit.status],
      code: { coding: [CODING.laboratoryReport], text: 'Lab visit results' },
      identifiers: [requisition],
      effective: instant(visit.labVisitDate),
      issued: issued.sort().at(-1) ?? null,
      performer: null,
      conclusion: null,
    },
    results: visit.labTestResults.map((r) => resultFacts(visit, r)),
  };
}
