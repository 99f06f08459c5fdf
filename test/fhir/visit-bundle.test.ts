/**
 * GET /v1/workspace/:workspaceId/labs/visits/:visitId/fhir (and its /api/v1 alias): a workspace
 * lab visit as a FHIR R4 Bundle, through the real app, with numeric and text results and each
 * flag. Every Bundle is validated against HL7's R4 JSON Schema (validate.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newObjectId } from '../../src/http/object-id.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { PHI } from '../helpers/phi.js';
import {
  createCatalogTest,
  createClient,
  createWorkspace,
  ok,
  visitBody,
  visitsPath,
  type WorkspaceWorld,
} from '../workspaces/world.js';
import {
  expectValidBundle,
  oneOf,
  refTo,
  resourcesOf,
  type FhirBundle,
  type FhirResource,
} from './validate.js';

const US_CORE = 'http://hl7.org/fhir/us/core/StructureDefinition/';
const UCUM = 'http://unitsofmeasure.org';

describe('a lab visit as a FHIR Bundle', () => {
  let t: TestApp;
  let w: WorkspaceWorld;
  let clientId: string;
  let base: string;
  const visitDate = new Date(Date.now() + 7 * 24 * 3600 * 1000).toISOString();

  beforeAll(async () => {
    t = await startTestApp();
    w = await createWorkspace(t);
    await createCatalogTest(t, w.admin, 101, 'Hemoglobin', 40);
    await createCatalogTest(t, w.admin, 205, 'CRP', 60);
    await createCatalogTest(t, w.admin, 310, 'Hepatitis C antibody', 30);
    await createCatalogTest(t, w.admin, 412, 'Potassium', 20);
    await createCatalogTest(t, w.admin, 513, 'Ferritin', 25);
    await ok(
      t.request('PUT', `/v1/workspace/${w.workspaceId}/labs/tests/513`, {
        token: w.owner.token,
        body: { testTitle: 'Iron stores', price: 12 },
      }),
    );
    clientId = (await createClient(t, w)).id;
    base = visitsPath(w.workspaceId);
  });
  afterAll(() => t.close());

  const book = async (labTestIds: number[]) =>
    (
      await ok(
        t.request('POST', base, {
          token: w.staff.token,
          body: visitBody(clientId, { labTestIds, labVisitDate: visitDate }),
        }),
      )
    ).labVisit as { id: string; createdAt: string };
  const move = async (id: string, ...statuses: string[]) => {
    for (const labVisitStatus of statuses) {
      await ok(t.request('PATCH', `${base}/${id}`, { token: w.staff.token, body: { labVisitStatus } }), 200);
    }
  };
  const attach = async (id: string, labTestResults: Record<string, unknown>[]) =>
    ok(t.request('POST', `${base}/${id}/results`, { token: w.staff.token, body: { labTestResults } }), 200);
  const fhir = (id: string, token = w.bareStaff.token, path = `${base}/${id}/fhir`) =>
    t.request('GET', path, { token });
  const bundleOf = async (id: string, path?: string): Promise<FhirBundle> => {
    const res = await fhir(id, w.bareStaff.token, path);
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/fhir+json; charset=utf-8');
    return expectValidBundle(res.body);
  };
  const byTest = (bundle: FhirBundle, type: string) =>
    new Map<string, FhirResource>(resourcesOf(bundle, type).map((r) => [r.code.coding[0].code, r]));

  it('before results: the client as a Patient and one active ServiceRequest per test, on the visit date', async () => {
    const visit = await book([101, 513]);
    const bundle = await bundleOf(visit.id);
    expect(bundle.entry.map((e) => e.resource.resourceType)).toEqual([
      'Patient',
      'ServiceRequest',
      'ServiceRequest',
    ]);

    const patient = oneOf(bundle, 'Patient');
    expect(patient).toEqual({
      resourceType: 'Patient',
      id: patient.id,
      meta: { profile: [`${US_CORE}us-core-patient`] },
      identifier: [
        {
          type: { coding: [expect.objectContaining({ code: 'PI' })] },
          system: `urn:labline:workspace:${w.workspaceId}:client`,
          value: clientId,
        },
      ],
      name: [{ family: PHI.lastName, given: [PHI.firstName] }],
      telecom: [
        { system: 'phone', value: PHI.phone },
        { system: 'email', value: PHI.email },
      ],
      // A workspace holds no gender: `unknown`, which US Core accepts; and no address.
      gender: 'unknown',
      birthDate: PHI.dob,
    });

    const requests = byTest(bundle, 'ServiceRequest');
    expect(requests.get('513')).toMatchObject({
      status: 'active',
      intent: 'order',
      // The workspace's own title of the test, as the visit's snapshot holds it.
      code: {
        coding: [{ system: 'urn:labline:lab-test', code: '513', display: 'Iron stores' }],
        text: 'Iron stores',
      },
      requisition: { system: `urn:labline:workspace:${w.workspaceId}:lab-visit`, value: visit.id },
      identifier: [expect.objectContaining({ value: `${visit.id}-513` })],
      subject: refTo(patient),
      occurrenceDateTime: visitDate,
      authoredOn: visit.createdAt,
    });
    expect(requests.get('101')!.code.text).toBe('Hemoglobin');
  });

  it('numeric and text results with each flag: Quantities in UCUM, strings, ranges and interpretations', async () => {
    const visit = await book([101, 205, 310, 412, 513]);
    await move(visit.id, 'scheduled', 'collected');
    await attach(visit.id, [
      { testId: 101, value: 13.2, unit: 'g/dL', referenceRange: '12.0-15.5', flag: 'normal' },
      { testId: 205, value: '<0.5', unit: 'mg/L', referenceRange: '<3.0', flag: 'normal' },
      { testId: 310, value: 'Reactive', flag: 'abnormal' },
      { testId: 412, value: 6.9, unit: 'mmol/L', referenceRange: '3.5-5.1', flag: 'critical' },
      { testId: 513, value: 8, unit: 'ng/mL', referenceRange: '15-150', flag: 'low' },
    ]);

    const bundle = await bundleOf(visit.id);
    const patient = oneOf(bundle, 'Patient');
    const report = oneOf(bundle, 'DiagnosticReport');
    const observations = byTest(bundle, 'Observation');
    const requests = byTest(bundle, 'ServiceRequest');
    expect(report).toMatchObject({
      meta: { profile: [`${US_CORE}us-core-diagnosticreport-lab`] },
      status: 'partial',
      code: { coding: [{ system: 'http://loinc.org', code: '11502-2' }] },
      subject: refTo(patient),
      basedOn: [...requests.values()].map(refTo),
      result: resourcesOf(bundle, 'Observation').map(refTo),
      effectiveDateTime: visitDate,
      issued: expect.any(String),
    });
    for (const obs of observations.values()) {
      expect(obs).toMatchObject({
        status: 'preliminary',
        effectiveDateTime: visitDate,
        subject: refTo(patient),
      });
      expect(obs.basedOn).toEqual([refTo(requests.get(obs.code.coding[0].code)!)]);
    }
    const interpretation = (code: string) => [
      expect.objectContaining({ coding: [expect.objectContaining({ code })] }),
    ];

    expect(observations.get('101')).toMatchObject({
      valueQuantity: { value: 13.2, unit: 'g/dL', system: UCUM, code: 'g/dL' },
      referenceRange: [
        { low: { value: 12, code: 'g/dL' }, high: { value: 15.5, code: 'g/dL' }, text: '12.0-15.5' },
      ],
      interpretation: interpretation('N'),
    });
    expect(observations.get('205')).toMatchObject({
      valueQuantity: { value: 0.5, comparator: '<', unit: 'mg/L', system: UCUM, code: 'mg/L' },
      referenceRange: [{ high: { value: 3 }, text: '<3.0' }],
      interpretation: interpretation('N'),
    });
    const text = observations.get('310')!;
    expect(text).toMatchObject({ valueString: 'Reactive', interpretation: interpretation('A') });
    expect(text.valueQuantity).toBeUndefined();
    expect(text.referenceRange).toBeUndefined();
    expect(observations.get('412')).toMatchObject({
      valueQuantity: { value: 6.9, code: 'mmol/L' },
      interpretation: interpretation('HH'),
    });
    expect(observations.get('513')).toMatchObject({
      valueQuantity: { value: 8 },
      interpretation: interpretation('L'),
    });

    // Completed: the same resources, now final.
    await move(visit.id, 'completed');
    const done = await bundleOf(visit.id);
    expect(done.entry.map((e) => e.fullUrl)).toEqual(bundle.entry.map((e) => e.fullUrl));
    expect(oneOf(done, 'DiagnosticReport').status).toBe('final');
    expect(new Set(resourcesOf(done, 'Observation').map((o) => o.status))).toEqual(new Set(['final']));
    for (const r of resourcesOf(done, 'ServiceRequest')) expect(r.status).toBe('completed');
  });

  it('a critical value below its range is LL; the /api/v1 alias answers the same Bundle', async () => {
    const visit = await book([412]);
    await move(visit.id, 'scheduled', 'collected');
    await attach(visit.id, [
      { testId: 412, value: 2.1, unit: 'mmol/L', referenceRange: '3.5-5.1', flag: 'critical' },
    ]);
    const bundle = await bundleOf(visit.id);
    expect(oneOf(bundle, 'Observation').interpretation[0].coding[0].code).toBe('LL');
    const alias = await bundleOf(visit.id, `/api/v1/workspace/${w.workspaceId}/labs/visits/${visit.id}/fhir`);
    expect(alias.entry).toEqual(bundle.entry);
  });

  it('cancelled: the requests are revoked and there is no report', async () => {
    const visit = await book([101]);
    await move(visit.id, 'cancelled');
    const bundle = await bundleOf(visit.id);
    expect(bundle.entry.map((e) => e.resource.resourceType)).toEqual(['Patient', 'ServiceRequest']);
    expect(oneOf(bundle, 'ServiceRequest').status).toBe('revoked');
  });

  it('another workspace’s visit is 404; non-members 403; unknown, deleted and malformed ids 404/422', async () => {
    const visit = await book([101]);
    const other = await createWorkspace(t);
    const elsewhere = await fhir(
      visit.id,
      other.owner.token,
      `${visitsPath(other.workspaceId)}/${visit.id}/fhir`,
    );
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.body).toEqual({ error: 'not_found', message: 'Lab visit not found.' });

    expect((await fhir(visit.id, w.outsider.token)).status).toBe(403);
    expect((await fhir(visit.id, w.admin.token)).status).toBe(403);
    expect((await fhir(newObjectId())).status).toBe(404);
    expect((await fhir('nope')).body.error).toBe('invalid_id');
    await ok(t.request('DELETE', `${base}/${visit.id}`, { token: w.staff.token }), 200);
    expect((await fhir(visit.id)).status).toBe(404);
  });
});
