/**
 * What Junction refuses is refused first (docs/junction.md, "What Junction refuses, refused
 * first"): 400 validation_error naming the field, nothing stored, no call to Junction, for the
 * order create and for PUT /v1/patients/:id alike; names are trimmed and their spaces collapsed,
 * which is no refusal.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/database.js';
import { clinical } from '../helpers/contract.js';
import { BRAND, createOrder, orderBody, startLabStack, type LabStack } from '../helpers/lab-stack.js';

type Body = ReturnType<typeof orderBody>;

/** YYYY-MM-DD of the day `years` years before today (UTC), `days` days later. */
function birthday(years: number, days = 0): string {
  const now = new Date();
  const month = now.getUTCMonth();
  // 29 February of a leap year: the birthday falls on the 28th in other years.
  const day = month === 1 && now.getUTCDate() === 29 ? 28 : now.getUTCDate();
  return new Date(Date.UTC(now.getUTCFullYear() - years, month, day + days)).toISOString().slice(0, 10);
}

const withPatient = (b: Body, patch: Record<string, string>) => ({
  ...b,
  patient: { ...b.patient, ...patch },
});
const withAddress = (b: Body, patch: Record<string, string>) => ({
  ...b,
  address: { ...b.address, ...patch },
});

/** [case, body change, the field the 400 names, words its message holds] */
const REFUSED: [string, (b: Body) => Body, string, string][] = [
  ['an accented first name', (b) => withPatient(b, { first_name: 'José' }), '/patient/first_name', 'U+00E9'],
  [
    'a curly apostrophe (typed on a phone)',
    (b) => withPatient(b, { last_name: 'O’Brien' }),
    '/patient/last_name',
    'U+2019',
  ],
  [
    'a name starting with a hyphen',
    (b) => withPatient(b, { last_name: '-Smith' }),
    '/patient/last_name',
    'start',
  ],
  ['an @ in a name', (b) => withPatient(b, { first_name: 'John@Smith' }), '/patient/first_name', '"@"'],
  ['a name of spaces only', (b) => withPatient(b, { first_name: '   ' }), '/patient/first_name', 'letter'],
  ['a four-digit ZIP', (b) => withAddress(b, { zip: '9411' }), '/address/zip', 'ZIP'],
  ['a ZIP+4 cut short', (b) => withAddress(b, { zip: '94110-12' }), '/address/zip', '12345-6789'],
  ['a Canadian postal code', (b) => withAddress(b, { zip: 'K1A 0B1' }), '/address/zip', 'ZIP'],
  ['a state name', (b) => withAddress(b, { state: 'California' }), '/address/state', 'two-letter'],
  ['an unknown state code', (b) => withAddress(b, { state: 'ZZ' }), '/address/state', 'two-letter'],
  ['a patient 18 tomorrow', (b) => withPatient(b, { dob: birthday(18, 1) }), '/patient/dob', 'under 18'],
  ['a child', (b) => withPatient(b, { dob: birthday(9) }), '/patient/dob', 'under 18'],
];

describe('what Junction refuses, refused first', () => {
  let s: LabStack;
  beforeAll(async () => {
    s = await startLabStack();
  });
  afterAll(() => s.close());

  const stored = async (patientId: string) => ({
    orders: await rows(s.t.database.db, sql`select id from lab_orders where patient_id = ${patientId}`),
    profiles: await rows(s.t.database.db, sql`select brand_id from patients where patient_id = ${patientId}`),
  });
  const atJunction = () => ({ users: s.sim.users().length, orders: s.sim.orders().length });

  it.each(REFUSED)(
    'POST /v1/lab-orders: 400 for %s, nothing stored, Junction not called',
    async (_, change, path, words) => {
      const before = atJunction();
      const body = change(orderBody());
      const key = randomUUID();
      const res = await createOrder(s, body, key);
      expect(res.status, res.text).toBe(400);
      clinical.error(400, res.body);
      expect(res.body.error).toBe('validation_error');
      const detail = res.body.details.find((d: { path: string }) => d.path === path);
      expect(detail?.message).toContain(words);
      expect(res.body.message).toContain('Junction would refuse');
      expect(await stored(body.patient_id)).toEqual({ orders: [], profiles: [] });
      expect(atJunction()).toEqual(before);
      // Nothing was kept for the key: the corrected request goes through with it.
      expect((await createOrder(s, { ...orderBody(), patient_id: body.patient_id }, key)).status).toBe(201);
    },
  );

  it.each(REFUSED)('PUT /v1/patients/:id: 400 for %s, no profile kept', async (_, change, path, words) => {
    const body = change(orderBody());
    const res = await s.t.request('PUT', `/v1/patients/${body.patient_id}`, {
      token: s.token,
      body: { brand_id: BRAND, patient: body.patient, address: body.address },
    });
    expect(res.status, res.text).toBe(400);
    expect(res.body.error).toBe('validation_error');
    expect(res.body.details.find((d: { path: string }) => d.path === path)?.message).toContain(words);
    expect(await stored(body.patient_id)).toEqual({ orders: [], profiles: [] });
  });

  it('a name with surrounding and repeated spaces goes through trimmed, to Junction and to the profile', async () => {
    const body = withAddress(
      withPatient(orderBody(), { first_name: '  Mary   Jane ', last_name: "O'Connor-Smith\u00a0 Jr." }),
      { state: 'ca', zip: '94110-1234' },
    );
    const res = await createOrder(s, body);
    expect(res.status, res.text).toBe(201);
    clinical.created(res.body);
    const sent = s.sim.order(res.body.junction_order_id)!;
    expect(sent.patient_details).toMatchObject({ first_name: 'Mary Jane', last_name: "O'Connor-Smith Jr." });
    expect(sent.patient_address).toMatchObject({ state: 'CA', zip: '94110-1234' });
    const profile = await s.t.request('GET', `/v1/patients/${body.patient_id}?brand_id=${BRAND}`, {
      token: s.token,
    });
    expect(profile.body.patient).toMatchObject({ first_name: 'Mary Jane', last_name: "O'Connor-Smith Jr." });
    expect(profile.body.address.state).toBe('CA');
  });

  it('a patient who is 18 today is ordered for', async () => {
    const res = await createOrder(s, withPatient(orderBody(), { dob: birthday(18) }));
    expect(res.status, res.text).toBe(201);
  });

  it('PUT keeps a profile Junction accepts, trimmed', async () => {
    const patientId = randomUUID();
    const res = await s.t.request('PUT', `/v1/patients/${patientId}`, {
      token: s.token,
      body: { brand_id: BRAND, patient: { first_name: ' Dr.  Ada ', last_name: 'Lovelace' } },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.patient).toMatchObject({ first_name: 'Dr. Ada', last_name: 'Lovelace' });
  });

  it('a stored profile Junction would refuse (kept before these rules) is a 400 saying how to correct it', async () => {
    const body = orderBody();
    await s.t.database.db.execute(
      sql`insert into patients (brand_id, patient_id, first_name, last_name, dob, email, gender, phone_number,
            address_line1, city, state, zip, country)
          values (${BRAND}, ${body.patient_id}, 'José', 'Lovelace', '1987-03-14', 'ada@example.com', 'female',
            '+15555550100', '1 Main St', 'Springfield', 'IL', '62704', 'US')`,
    );
    const before = atJunction();
    const res = await createOrder(s, { brand_id: BRAND, patient_id: body.patient_id, panel_id: 'pcos' });
    expect(res.status, res.text).toBe(400);
    expect(res.body.error).toBe('validation_error');
    expect(res.body.message).toContain('stored profile');
    expect(res.body.message).toContain('PUT /v1/patients/{patientId}');
    expect(res.body.details.map((d: { path: string }) => d.path)).toEqual(['/patient/first_name']);
    expect(atJunction()).toEqual(before);
    // A name sent with the order replaces the stored one: the order goes through.
    const fixed = await createOrder(s, {
      brand_id: BRAND,
      patient_id: body.patient_id,
      panel_id: 'pcos',
      patient: { first_name: 'Jose', last_name: 'Lovelace', dob: '1987-03-14', email: 'ada@example.com' },
    });
    expect(fixed.status, fixed.text).toBe(201);
  });
});
