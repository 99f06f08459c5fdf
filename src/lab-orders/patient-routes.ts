/** Patient profiles per (brand, patient): PUT keeps demographics and address for later orders. */
import { Type } from 'typebox';
import type { App } from '../http/app-type.js';
import { audit, auditActor } from '../audit/audit.js';
import type { Database } from '../db/database.js';
import { principalOf, requireBrand, SCOPES, type Principal } from '../http/auth.js';
import { Errors } from '../http/errors.js';
import { errorResponses } from '../http/schemas.js';
import { forJunction } from './junction-requirements.js';
import {
  findPatient,
  junctionPatientOf,
  profileAsChanges,
  upsertPatient,
  type PatientChanges,
  type PatientRow,
} from './patients.js';
import { MAX, PatientParams, PatientProfile, PutPatientBody } from './schemas.js';

const TAGS = ['Clinical lab orders'];

/** The brand a patient request acts for: named explicitly, or the token's only brand. */
function brandOf(principal: Principal, named: string | undefined): string {
  if (named) {
    requireBrand(principal, named);
    return named;
  }
  if (principal.brandIds?.length === 1 && principal.brandIds[0]) return principal.brandIds[0];
  throw Errors.validation('brand_id is required unless the token names exactly one brand.', [
    { path: '/brand_id', message: 'is required' },
  ]);
}

function toProfile(row: PatientRow) {
  return {
    brand_id: row.brandId,
    patient_id: row.patientId,
    patient: {
      first_name: row.firstName,
      last_name: row.lastName,
      dob: row.dob,
      email: row.email,
      gender: row.gender,
      phone_number: row.phoneNumber,
    },
    address:
      row.addressLine1 && row.city && row.state && row.zip && row.country
        ? {
            line1: row.addressLine1,
            line2: row.addressLine2,
            city: row.city,
            state: row.state,
            zip: row.zip,
            country: row.country,
          }
        : null,
    complete: junctionPatientOf(profileAsChanges(row)).ok,
    updated_at: row.updatedAt.toISOString(),
  };
}

export async function patientRoutes(app: App, { database }: { database: Database }) {
  app.put(
    '/v1/patients/:patientId',
    {
      config: { scope: SCOPES.labOrdersWrite },
      schema: {
        tags: TAGS,
        operationId: 'putPatient',
        summary: "Store a patient's demographics and address for a brand",
        description:
          'Fields sent replace stored ones; fields left out keep their value (an address is replaced as a whole). ' +
          'Orders that omit `patient` or `address` use this profile.',
        params: PatientParams,
        body: PutPatientBody,
        response: { 200: PatientProfile, ...errorResponses(400, 401, 403, 413, 415) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const brandId = brandOf(principal, request.body.brand_id);
      const { patient, address } = request.body;
      const changes: PatientChanges = {};
      if (patient?.first_name) changes.firstName = patient.first_name;
      if (patient?.last_name) changes.lastName = patient.last_name;
      if (patient?.dob) changes.dob = patient.dob;
      if (patient?.email) changes.email = patient.email;
      if (patient?.gender) changes.gender = patient.gender;
      if (patient?.phone_number) changes.phoneNumber = patient.phone_number;
      if (address) changes.address = address;
      // A profile Junction would refuse could never be ordered: refused now, not at the order.
      const accepted = forJunction(changes);
      const row = await database.transaction(async (tx) => {
        const existing = await findPatient(tx, brandId, request.params.patientId);
        const saved = await upsertPatient(tx, brandId, request.params.patientId, accepted);
        await audit(tx, auditActor(request), {
          action: existing ? 'update' : 'create',
          resourceType: 'patient',
          resourceId: request.params.patientId,
          tenant: brandId,
        });
        return saved;
      });
      return toProfile(row);
    },
  );

  app.get(
    '/v1/patients/:patientId',
    {
      config: { scope: SCOPES.labOrdersRead },
      schema: {
        tags: TAGS,
        operationId: 'getPatient',
        summary: "A brand's stored profile of a patient",
        params: PatientParams,
        querystring: Type.Object({
          brand_id: Type.Optional(Type.String({ minLength: 1, maxLength: MAX.brandId })),
        }),
        response: { 200: PatientProfile, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const brandId = brandOf(principalOf(request), request.query.brand_id);
      const row = await findPatient(database.db, brandId, request.params.patientId);
      if (!row)
        throw Errors.notFound(`No profile of patient ${request.params.patientId} for brand ${brandId}.`);
      await audit(database.db, auditActor(request), {
        action: 'read',
        resourceType: 'patient',
        resourceId: row.patientId,
        tenant: brandId,
      });
      return toProfile(row);
    },
  );
}
