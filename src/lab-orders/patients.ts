/**
 * Patient profiles per (brand, patient): what an order or PUT /v1/patients sent is kept, and an
 * order that omits demographics or address uses what is kept. Junction needs all of them.
 */
import { and, eq, getTableColumns, getTableName, or, sql } from 'drizzle-orm';
import type { Queryable } from '../db/database.js';
import type { JunctionAddress, JunctionPatient } from '../junction/types.js';
import { patients } from './tables.js';

export type PatientRow = typeof patients.$inferSelect;

export interface PatientChanges {
  firstName?: string;
  lastName?: string;
  dob?: string;
  email?: string;
  gender?: string;
  phoneNumber?: string;
  address?: {
    line1: string;
    line2?: string | undefined;
    city: string;
    state: string;
    zip: string;
    country: string;
  };
}

export async function findPatient(
  q: Queryable,
  brandId: string,
  patientId: string,
): Promise<PatientRow | null> {
  const [row] = await q
    .select()
    .from(patients)
    .where(and(eq(patients.brandId, brandId), eq(patients.patientId, patientId)));
  return row ?? null;
}

/** The key of a (brand, patient) pair in patientNames' answer. */
export const patientKey = (brandId: string, patientId: string): string => `${brandId}\u0000${patientId}`;

/**
 * The names kept in the profiles of these (brand, patient) pairs, in one query: "First Last" (or
 * the part kept) by patientKey. A pair without a profile or a name is absent.
 */
export async function patientNames(
  q: Queryable,
  pairs: { brandId: string; patientId: string }[],
): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  if (pairs.length === 0) return names;
  const rows = await q
    .select({
      brandId: patients.brandId,
      patientId: patients.patientId,
      firstName: patients.firstName,
      lastName: patients.lastName,
    })
    .from(patients)
    .where(
      or(...pairs.map((p) => and(eq(patients.brandId, p.brandId), eq(patients.patientId, p.patientId)))),
    );
  for (const row of rows) {
    const name = [row.firstName, row.lastName].filter(Boolean).join(' ');
    if (name) names.set(patientKey(row.brandId, row.patientId), name);
  }
  return names;
}

/** Creates or updates the profile with the fields given; fields not given keep their value. */
export async function upsertPatient(
  q: Queryable,
  brandId: string,
  patientId: string,
  changes: PatientChanges,
): Promise<PatientRow> {
  const set = profileColumns(changes);
  const [row] = await q
    .insert(patients)
    .values({ brandId, patientId, ...set })
    .onConflictDoUpdate({
      target: [patients.brandId, patients.patientId],
      set: { ...set, updatedAt: sql`now()` },
      setWhere: sql.raw(changedWhere(columnNames(Object.keys(set)))),
    })
    .returning();
  // Nothing returned: the profile already held what `changes` says, and is left as it was.
  const kept = row ?? (await findPatient(q, brandId, patientId));
  if (!kept) throw new Error('patient upsert returned no row');
  return kept;
}

/**
 * The upsert's condition for writing, as SQL text over the quoted column `names` sent: a field
 * sent differs from the stored one. A profile that already holds what an order or a PUT sends is
 * not written again, so `updated_at` is the time of its last change, and a brand ordering again for
 * the same patient adds no row version.
 */
function changedWhere(names: string[]): string {
  if (names.length === 0) return 'false';
  const table = `"${getTableName(patients)}"`;
  return `(${names.map((n) => `${table}.${n}`).join(', ')}) is distinct from (${names.map((n) => `excluded.${n}`).join(', ')})`;
}

/** The quoted column names of profile fields (keys of profileColumns), from the table definition. */
function columnNames(keys: string[]): string[] {
  const columns = getTableColumns(patients) as Record<string, { name: string }>;
  return keys.map((k) => `"${columns[k]!.name}"`);
}

/** The profile columns that `changes` sets. */
function profileColumns(changes: PatientChanges): Partial<typeof patients.$inferInsert> {
  const set: Partial<typeof patients.$inferInsert> = {};
  if (changes.firstName !== undefined) set.firstName = changes.firstName;
  if (changes.lastName !== undefined) set.lastName = changes.lastName;
  if (changes.dob !== undefined) set.dob = changes.dob;
  if (changes.email !== undefined) set.email = changes.email;
  if (changes.gender !== undefined) set.gender = changes.gender;
  if (changes.phoneNumber !== undefined) set.phoneNumber = changes.phoneNumber;
  if (changes.address) {
    // An address is replaced as a whole: a missing line2 clears the old one.
    set.addressLine1 = changes.address.line1;
    set.addressLine2 = changes.address.line2 ?? null;
    set.city = changes.address.city;
    set.state = changes.address.state;
    set.zip = changes.address.zip;
    set.country = changes.address.country;
  }
  return set;
}

/** Junction's patient and address from a profile, or the names of the fields still missing. */
export function junctionPatientOf(
  p: PatientChanges,
): { ok: true; patient: JunctionPatient; address: JunctionAddress } | { ok: false; missing: string[] } {
  const missing: string[] = [];
  const need = <T>(value: T | undefined | null, name: string): T => {
    if (value === undefined || value === null || value === '') missing.push(name);
    return value as T;
  };
  const patient: JunctionPatient = {
    firstName: need(p.firstName, 'patient.first_name'),
    lastName: need(p.lastName, 'patient.last_name'),
    dob: need(p.dob, 'patient.dob'),
    email: need(p.email, 'patient.email'),
    gender: need(p.gender as JunctionPatient['gender'] | undefined, 'patient.gender'),
    phoneNumber: need(p.phoneNumber, 'patient.phone_number'),
  };
  const a = p.address;
  if (!a) missing.push('address');
  if (missing.length > 0 || !a) return { ok: false, missing };
  return {
    ok: true,
    patient,
    address: {
      firstLine: a.line1,
      secondLine: a.line2 ?? null,
      city: a.city,
      state: a.state,
      zip: a.zip,
      country: a.country,
    },
  };
}

/** A stored profile as changes, so it can be merged with what a request sends. */
export function profileAsChanges(row: PatientRow | null): PatientChanges {
  if (!row) return {};
  const out: PatientChanges = {};
  if (row.firstName) out.firstName = row.firstName;
  if (row.lastName) out.lastName = row.lastName;
  if (row.dob) out.dob = row.dob;
  if (row.email) out.email = row.email;
  if (row.gender) out.gender = row.gender;
  if (row.phoneNumber) out.phoneNumber = row.phoneNumber;
  if (row.addressLine1 && row.city && row.state && row.zip && row.country) {
    out.address = {
      line1: row.addressLine1,
      line2: row.addressLine2 ?? undefined,
      city: row.city,
      state: row.state,
      zip: row.zip,
      country: row.country,
    };
  }
  return out;
}
