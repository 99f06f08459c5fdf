import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinical } from '../helpers/contract.js';
import { createOrder, orderBody, startLabStack, type LabStack } from '../helpers/lab-stack.js';

type Body = ReturnType<typeof orderBody>;
const without = (o: Record<string, unknown>, key: string) =>
  Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));

/** [case, body change, the detail path the 400 must name] */
const CASES: [string, (b: Body) => unknown, string][] = [
  ['brand_id missing', (b) => without(b, 'brand_id'), '/brand_id'],
  ['patient_id missing', (b) => without(b, 'patient_id'), '/patient_id'],
  ['panel_id missing', (b) => without(b, 'panel_id'), '/panel_id'],
  [
    'patient.first_name missing',
    (b) => ({ ...b, patient: without(b.patient, 'first_name') }),
    '/patient/first_name',
  ],
  [
    'patient.last_name missing',
    (b) => ({ ...b, patient: without(b.patient, 'last_name') }),
    '/patient/last_name',
  ],
  ['patient.dob missing', (b) => ({ ...b, patient: without(b.patient, 'dob') }), '/patient/dob'],
  ['patient.email missing', (b) => ({ ...b, patient: without(b.patient, 'email') }), '/patient/email'],
  ['address.line1 missing', (b) => ({ ...b, address: without(b.address, 'line1') }), '/address/line1'],
  ['address.city missing', (b) => ({ ...b, address: without(b.address, 'city') }), '/address/city'],
  ['address.state missing', (b) => ({ ...b, address: without(b.address, 'state') }), '/address/state'],
  ['address.zip missing', (b) => ({ ...b, address: without(b.address, 'zip') }), '/address/zip'],
  ['address.country missing', (b) => ({ ...b, address: without(b.address, 'country') }), '/address/country'],
  ['patient_id not a uuid', (b) => ({ ...b, patient_id: 'patient-42' }), '/patient_id'],
  [
    'patient.email not an email',
    (b) => ({ ...b, patient: { ...b.patient, email: 'not-an-email' } }),
    '/patient/email',
  ],
  ['panel_id outside the enum', (b) => ({ ...b, panel_id: 'thyroid' }), '/panel_id'],
  ['brand_id empty', (b) => ({ ...b, brand_id: '' }), '/brand_id'],
  [
    'patient.first_name empty',
    (b) => ({ ...b, patient: { ...b.patient, first_name: '' } }),
    '/patient/first_name',
  ],
  [
    'patient.last_name empty',
    (b) => ({ ...b, patient: { ...b.patient, last_name: '' } }),
    '/patient/last_name',
  ],
  ['patient.dob empty', (b) => ({ ...b, patient: { ...b.patient, dob: '' } }), '/patient/dob'],
  ['address.line1 empty', (b) => ({ ...b, address: { ...b.address, line1: '' } }), '/address/line1'],
  ['address.line2 empty', (b) => ({ ...b, address: { ...b.address, line2: '' } }), '/address/line2'],
  ['address.zip empty', (b) => ({ ...b, address: { ...b.address, zip: '' } }), '/address/zip'],
  ['dob not a date', (b) => ({ ...b, patient: { ...b.patient, dob: 'yesterday' } }), '/patient/dob'],
  [
    'dob not a calendar date',
    (b) => ({ ...b, patient: { ...b.patient, dob: '1990-02-30' } }),
    '/patient/dob',
  ],
  ['dob in the future', (b) => ({ ...b, patient: { ...b.patient, dob: '2999-01-01' } }), '/patient/dob'],
  [
    'dob with a time',
    (b) => ({ ...b, patient: { ...b.patient, dob: '1990-01-01T00:00:00Z' } }),
    '/patient/dob',
  ],
  ['gender outside its enum', (b) => ({ ...b, patient: { ...b.patient, gender: 'f' } }), '/patient/gender'],
  [
    'phone_number not E.164',
    (b) => ({ ...b, patient: { ...b.patient, phone_number: '555-0123' } }),
    '/patient/phone_number',
  ],
  ['brand_id a number', (b) => ({ ...b, brand_id: 42 }), '/brand_id'],
  ['patient a string', (b) => ({ ...b, patient: 'Jane' }), '/patient'],
  ['body an array', () => [], '/'],
];

describe('POST /v1/lab-orders validation', () => {
  let s: LabStack;
  beforeAll(async () => {
    s = await startLabStack();
  });
  afterAll(() => s.close());

  it.each(CASES)('400 validation_error: %s', async (_name, change, path) => {
    const usersBefore = s.sim.users().length;
    const key = randomUUID();
    const res = await createOrder(s, change(orderBody()), key);
    expect(res.status).toBe(400);
    clinical.error(400, res.body);
    expect(res.body.error).toBe('validation_error');
    expect(res.body.details.map((d: { path: string }) => d.path)).toContain(path);
    expect(s.sim.users().length).toBe(usersBefore);
    // Nothing was stored for the key: the corrected request goes through with it.
    expect((await createOrder(s, orderBody(), key)).status).toBe(201);
  });

  it('400 for every problem at once, each named', async () => {
    const res = await createOrder(s, { patient_id: 'x', panel_id: 'nope', patient: { first_name: '' } });
    expect(res.status).toBe(400);
    const paths = res.body.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/brand_id',
        '/patient_id',
        '/panel_id',
        '/patient/first_name',
        '/patient/email',
      ]),
    );
  });

  it('400 malformed_json for a body that is not JSON; 415 for another content type', async () => {
    const bad = await s.t.request('POST', '/v1/lab-orders', {
      token: s.token,
      rawBody: '{"brand_id": ',
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    });
    expect(bad.status).toBe(400);
    clinical.error(400, bad.body);
    expect(bad.body.error).toBe('malformed_json');
    const form = await s.t.request('POST', '/v1/lab-orders', {
      token: s.token,
      rawBody: 'brand_id=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': randomUUID() },
    });
    expect(form.status).toBe(415);
    expect(form.body.error).toBe('unsupported_media_type');
  });

  it('accepts extra fields the contract does not forbid, and ignores them', async () => {
    const res = await createOrder(s, { ...orderBody(), note: 'extra' });
    expect(res.status).toBe(201);
    clinical.created(res.body);
  });
});
