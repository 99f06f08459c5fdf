/**
 * GET /v1/lab-orders/:id/fhir: a clinical order as a FHIR R4 Bundle, through the real app and the
 * Junction simulator over HTTP, at each point of its lifecycle. Every Bundle is validated against
 * HL7's R4 JSON Schema (validate.ts), and its codes against the simulator's own marker table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIMULATOR_LAB_TESTS, SIMULATOR_PANELS } from '../../src/junction/simulator/index.js';
import { ucumCode } from '../../src/fhir/ucum.js';
import { BRAND, placeOrder, SIM_KEY, startLabStack, type LabStack } from '../helpers/lab-stack.js';
import { PHI } from '../helpers/phi.js';
import { expectValidBundle, oneOf, refTo, resourcesOf, type FhirBundle } from './validate.js';

const US_CORE = 'http://hl7.org/fhir/us/core/StructureDefinition/';
const INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';
const hashimotos = SIMULATOR_LAB_TESTS.find((t) => t.id === SIMULATOR_PANELS.hashimotos)!;

describe('a lab order as a FHIR Bundle', () => {
  let s: LabStack;
  beforeAll(async () => {
    s = await startLabStack();
  });
  afterAll(() => s.close());

  const place = (overrides: Record<string, unknown> = {}) => placeOrder(s, overrides);
  /** Moves the order at the simulator (its sandbox endpoint), optionally with the results' flag. */
  const simulate = async (junctionOrderId: string, finalStatus: string, interpretation?: string) => {
    const res = await fetch(`${s.sim.url}/v3/order/${junctionOrderId}/test?final_status=${finalStatus}`, {
      method: 'POST',
      headers: { 'x-vital-api-key': SIM_KEY, 'content-type': 'application/json' },
      body: JSON.stringify(interpretation ? { interpretation } : {}),
    });
    expect(res.status, await res.text()).toBe(200);
    await s.sim.webhooksSettled();
  };
  const fhir = (id: string, token = s.token) => s.t.request('GET', `/v1/lab-orders/${id}/fhir`, { token });
  const bundleOf = async (id: string): Promise<FhirBundle> => {
    const res = await fhir(id);
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/fhir+json; charset=utf-8');
    return expectValidBundle(res.body);
  };

  it('before results: the Patient as the brand holds them and the order as an active ServiceRequest', async () => {
    const order = await place();
    const bundle = await bundleOf(order.id);
    expect(bundle.entry.map((e) => e.resource.resourceType)).toEqual(['Patient', 'ServiceRequest']);

    const patient = oneOf(bundle, 'Patient');
    expect(patient).toMatchObject({
      meta: { profile: [`${US_CORE}us-core-patient`] },
      identifier: [{ system: `urn:labline:brand:${BRAND}:patient`, value: order.patient_id }],
      name: [{ family: PHI.lastName, given: [PHI.firstName] }],
      gender: 'female',
      birthDate: PHI.dob,
      telecom: [
        { system: 'phone', value: PHI.phone },
        { system: 'email', value: PHI.email },
      ],
      address: [
        { line: [PHI.line1, PHI.line2], city: PHI.city, state: 'CA', postalCode: '94110', country: 'US' },
      ],
    });

    const request = oneOf(bundle, 'ServiceRequest');
    expect(request).toMatchObject({
      meta: { profile: [`${US_CORE}us-core-servicerequest`] },
      status: 'active',
      intent: 'order',
      category: [{ coding: [{ system: 'http://snomed.info/sct', code: '108252007' }] }],
      code: {
        coding: [{ system: 'urn:labline:panel', code: 'hashimotos' }, { code: SIMULATOR_PANELS.hashimotos }],
      },
      subject: refTo(patient),
      authoredOn: order.created_at,
    });
    expect(request.identifier).toEqual([
      expect.objectContaining({ system: 'urn:labline:lab-order', value: order.id }),
      { system: 'urn:labline:junction:order', value: order.junction_order_id },
    ]);
  });

  it('completed: a final DiagnosticReport with one Observation per marker, LOINC and UCUM from the simulator’s table', async () => {
    const order = await place();
    await simulate(order.junction_order_id, 'completed.walk_in_test.completed');
    const bundle = await bundleOf(order.id);
    expect(bundle.entry.map((e) => e.resource.resourceType)).toEqual([
      'Patient',
      'ServiceRequest',
      'DiagnosticReport',
      ...hashimotos.markers.map(() => 'Observation'),
    ]);
    const patient = oneOf(bundle, 'Patient');
    const request = oneOf(bundle, 'ServiceRequest');
    const report = oneOf(bundle, 'DiagnosticReport');
    const observations = resourcesOf(bundle, 'Observation');
    const results = (await s.t.request('GET', `/v1/lab-orders/${order.id}/results`, { token: s.token })).body;
    const sample = s.sim.order(order.junction_order_id)!.sample_id;

    expect(request).toMatchObject({ status: 'completed', requisition: { value: sample } });
    expect(report).toMatchObject({
      meta: { profile: [`${US_CORE}us-core-diagnosticreport-lab`] },
      status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'LAB' }] }],
      code: request.code,
      subject: refTo(patient),
      basedOn: [refTo(request)],
      result: observations.map(refTo),
      issued: new Date(results.reported_at).toISOString(),
      effectiveDateTime: expect.any(String),
      identifier: [expect.objectContaining({ value: sample })],
      performer: [{ identifier: { system: 'urn:oid:2.16.840.1.113883.4.7' }, display: 'Quest Diagnostics' }],
    });
    expect(Date.parse(report.effectiveDateTime)).toBeLessThanOrEqual(Date.parse(report.issued));

    hashimotos.markers.forEach((marker, i) => {
      const obs = observations[i]!;
      const value = results.results[i];
      expect(obs).toMatchObject({
        meta: { profile: [`${US_CORE}us-core-observation-lab`] },
        status: 'final',
        category: [{ coding: [{ code: 'laboratory' }] }],
        subject: refTo(patient),
        basedOn: [refTo(request)],
        effectiveDateTime: report.effectiveDateTime,
        issued: report.issued,
        valueQuantity: {
          value: Number(value.value),
          unit: marker.unit,
          system: 'http://unitsofmeasure.org',
          code: ucumCode(marker.unit),
        },
        referenceRange: [
          {
            low: { value: marker.min, code: ucumCode(marker.unit) },
            high: { value: marker.max, code: ucumCode(marker.unit) },
            text: `${marker.min}-${marker.max}`,
          },
        ],
        interpretation: [{ coding: [{ system: INTERPRETATION, code: 'N' }] }],
      });
      expect(obs.code.coding[0]).toEqual({
        system: 'http://loinc.org',
        code: marker.loinc,
        display: marker.name,
      });
      // The lab's own code, then Junction's.
      expect(obs.code.coding.slice(1).map((c: { code: string }) => c.code)).toEqual([
        String(marker.id),
        marker.slug,
      ]);
    });
  });

  it.each([
    ['abnormal', 'H'],
    ['critical', 'HH'],
  ])('a marker flagged %s above its range is interpreted %s', async (flag, code) => {
    const order = await place();
    await simulate(order.junction_order_id, 'completed.walk_in_test.completed', flag);
    const [first, ...rest] = resourcesOf(await bundleOf(order.id), 'Observation');
    expect(first!.valueQuantity.value).toBeGreaterThan(hashimotos.markers[0]!.max);
    expect(first!.interpretation).toEqual([
      {
        coding: [{ system: INTERPRETATION, code, display: code === 'H' ? 'High' : 'Critical high' }],
        text: expect.any(String),
      },
    ]);
    expect(rest.map((o) => o.interpretation[0].coding[0].code)).toEqual(rest.map(() => 'N'));
  });

  it('partial results: a partial DiagnosticReport with preliminary Observations; the request stays active', async () => {
    const order = await place();
    await simulate(order.junction_order_id, 'sample_with_lab.walk_in_test.partial_results');
    const bundle = await bundleOf(order.id);
    expect(oneOf(bundle, 'ServiceRequest').status).toBe('active');
    expect(oneOf(bundle, 'DiagnosticReport').status).toBe('partial');
    const observations = resourcesOf(bundle, 'Observation');
    expect(observations.length).toBeGreaterThan(0);
    expect(new Set(observations.map((o) => o.status))).toEqual(new Set(['preliminary']));

    // Completed later: the same resources (same ids), now final: an EHR updates what it imported.
    await simulate(order.junction_order_id, 'completed.walk_in_test.completed');
    const later = await bundleOf(order.id);
    expect(later.entry.map((e) => e.fullUrl)).toEqual(bundle.entry.map((e) => e.fullUrl));
    expect(oneOf(later, 'DiagnosticReport').status).toBe('final');
  });

  it('cancelled: the request is revoked and there is no report', async () => {
    const order = await place();
    const cancel = await s.t.request('POST', `/v1/lab-orders/${order.id}/cancel`, { token: s.token });
    expect(cancel.status, cancel.text).toBe(200);
    const bundle = await bundleOf(order.id);
    expect(bundle.entry.map((e) => e.resource.resourceType)).toEqual(['Patient', 'ServiceRequest']);
    expect(oneOf(bundle, 'ServiceRequest').status).toBe('revoked');
  });

  it('failed at the lab: the request is revoked and the report cancelled, without results', async () => {
    const order = await place();
    await simulate(order.junction_order_id, 'failed.walk_in_test.sample_error');
    const bundle = await bundleOf(order.id);
    expect(oneOf(bundle, 'ServiceRequest').status).toBe('revoked');
    const report = oneOf(bundle, 'DiagnosticReport');
    expect(report).toMatchObject({
      status: 'cancelled',
      conclusion: expect.stringContaining('sample_error'),
    });
    expect(report.result).toBeUndefined();
    expect(resourcesOf(bundle, 'Observation')).toEqual([]);
  });

  it('another brand’s order is 404, a token without lab-orders:read 403, an unknown order 404, a bad id 400', async () => {
    const order = await place();
    const other = await s.t.token({ sub: 'svc-other', scope: 'lab-orders:read', brandIds: ['brand-other'] });
    const res = await fhir(order.id, other);
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('not_found');
    expect(res.headers.get('content-type')).toContain('application/json');

    const writeOnly = await s.t.token({ sub: 'svc-acme', scope: 'lab-orders:write', brandIds: [BRAND] });
    expect((await fhir(order.id, writeOnly)).body.error).toBe('insufficient_scope');
    expect((await fhir(crypto.randomUUID())).status).toBe(404);
    expect((await fhir('not-a-uuid')).status).toBe(400);
    expect((await s.t.request('GET', `/v1/lab-orders/${order.id}/fhir`)).status).toBe(401);
  });

  it('the OpenAPI document gives both routes (and the /api/v1 alias) their FHIR media type', async () => {
    const doc = (await s.t.request('GET', '/openapi.json')).body;
    for (const path of [
      '/v1/lab-orders/{id}/fhir',
      '/v1/workspace/{workspaceId}/labs/visits/{visitId}/fhir',
      '/api/v1/workspace/{workspaceId}/labs/visits/{visitId}/fhir',
    ]) {
      const responses = doc.paths[path].get.responses;
      expect(Object.keys(responses['200'].content)).toEqual(['application/fhir+json']);
      expect(Object.keys(responses['404'].content)).toEqual(['application/json']);
    }
  });

  it('the same patient is the same Patient resource in every order of the brand', async () => {
    const first = await place();
    const second = await place({ patient_id: first.patient_id, panel_id: 'pcos' });
    const a = oneOf(await bundleOf(first.id), 'Patient');
    const b = oneOf(await bundleOf(second.id), 'Patient');
    expect(b.id).toBe(a.id);
    expect(oneOf(await bundleOf(second.id), 'ServiceRequest').id).not.toBe(
      oneOf(await bundleOf(first.id), 'ServiceRequest').id,
    );
  });
});
