/**
 * The order list names each order's patient (issue #29 §1): `patient_name` from the brand's
 * profile of the patient, for a caller with lab-orders:read, audited as a read of that profile;
 * the create's answer stays exactly the contract's.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/database.js';
import { BRAND, createOrder, orderBody, startLabStack, type LabStack } from '../helpers/lab-stack.js';
import { PHI } from '../helpers/phi.js';

const CONTRACT_FIELDS = [
  'brand_id',
  'completed_at',
  'created_at',
  'id',
  'junction_order_id',
  'panel_id',
  'patient_id',
  'status',
];

describe('GET /v1/lab-orders names the patients', () => {
  let s: LabStack;
  beforeAll(async () => {
    s = await startLabStack();
  });
  afterAll(() => s.close());

  const list = (query: string, token = s.token) => s.t.request('GET', `/v1/lab-orders?${query}`, { token });
  const auditOf = (requestId: string | null) =>
    rows<{ action: string; resource_type: string; resource_id: string; tenant: string | null }>(
      s.t.database.db,
      sql`select action, resource_type, resource_id, tenant from audit_events where request_id = ${requestId} order by id`,
    );

  it('each order carries the name its brand keeps for the patient; the create answers the contract only', async () => {
    const patientId = randomUUID();
    const first = await createOrder(s, orderBody({ patient_id: patientId }));
    expect(first.status, first.text).toBe(201);
    expect(Object.keys(first.body).sort()).toEqual(CONTRACT_FIELDS);
    const second = await createOrder(s, orderBody({ patient_id: patientId, panel_id: 'pcos' }));
    expect(second.status, second.text).toBe(201);

    const res = await list(`patient_id=${patientId}`);
    expect(res.status).toBe(200);
    expect(res.body.data.map((o: { id: string }) => o.id)).toEqual([second.body.id, first.body.id]);
    for (const order of res.body.data) {
      expect(order.patient_name).toBe(`${PHI.firstName} ${PHI.lastName}`);
      expect(order.patient_id).toBe(patientId);
    }

    // The list is audited, and so is each patient whose name it showed: once, however many orders.
    expect(await auditOf(res.headers.get('x-request-id'))).toEqual([
      { action: 'list', resource_type: 'lab_order', resource_id: `patient:${patientId}`, tenant: BRAND },
      { action: 'read', resource_type: 'patient', resource_id: patientId, tenant: BRAND },
    ]);

    // The single order's read and the create's replay are unchanged: no name there.
    const one = await s.t.request('GET', `/v1/lab-orders/${first.body.id}`, { token: s.token });
    expect(one.body).not.toHaveProperty('patient_name');
  });

  it('a name changed in the profile shows in the list; a profile without a name gives null and no read', async () => {
    const patientId = randomUUID();
    const placed = await createOrder(s, orderBody({ patient_id: patientId }));
    expect(placed.status, placed.text).toBe(201);
    const renamed = await s.t.request('PUT', `/v1/patients/${patientId}`, {
      token: s.token,
      body: { brand_id: BRAND, patient: { last_name: 'Okonkwo-Lindqvist' } },
    });
    expect(renamed.status, renamed.text).toBe(200);
    expect((await list(`patient_id=${patientId}`)).body.data[0].patient_name).toBe(
      `${PHI.firstName} Okonkwo-Lindqvist`,
    );

    await s.t.database.db.execute(
      sql`update patients set first_name = null, last_name = null where patient_id = ${patientId}::uuid`,
    );
    const nameless = await list(`patient_id=${patientId}`);
    expect(nameless.body.data[0].patient_name).toBeNull();
    expect((await auditOf(nameless.headers.get('x-request-id'))).map((a) => a.action)).toEqual(['list']);
  });

  it("another brand's token sees neither the orders nor the names; a token without lab-orders:read is refused", async () => {
    const patientId = randomUUID();
    expect((await createOrder(s, orderBody({ patient_id: patientId }))).status).toBe(201);
    const other = await s.t.token({ sub: 'svc-other', scope: 'lab-orders:read', brandIds: ['brand-other'] });
    const hidden = await list(`patient_id=${patientId}`, other);
    expect(hidden.status).toBe(200);
    expect(hidden.body.data).toEqual([]);
    const writeOnly = await s.t.token({ sub: 'svc-w', scope: 'lab-orders:write', brandIds: [BRAND] });
    const refused = await list(`patient_id=${patientId}`, writeOnly);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('insufficient_scope');
  });
});
