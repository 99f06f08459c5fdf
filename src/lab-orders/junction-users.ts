/**
 * The name labline gives a brand's patient at Junction (`client_user_id` of `POST /v2/user`).
 * Junction keeps one user per `client_user_id` and answers "already exists" with that user to
 * anyone who names it again, so the name must differ for every (brand, patient): the same patient
 * id sent by two brands is two people. It is a name-based UUID (RFC 9562 version 5) of the brand
 * and the patient: the same pair always gives the same name (a lost cache finds the same user
 * again), it holds no patient data (Junction asks for none in it), and it is a UUID, the form
 * Junction's own event schemas give `client_user_id`.
 */
import { createHash } from 'node:crypto';

/** labline's namespace for these names (a constant: changing it would orphan every user). */
const NAMESPACE = Buffer.from('a6d1d81ce3f942e49cf112e50932ba6e', 'hex');

export function junctionClientUserId(brandId: string, patientId: string): string {
  // The patient id is a UUID of fixed length, so brand + newline + patient is unambiguous; its
  // letter case is not part of the patient's identity (PostgreSQL stores it lower-case).
  const name = Buffer.from(`${brandId}\n${patientId.toLowerCase()}`, 'utf8');
  const hash = createHash('sha1').update(NAMESPACE).update(name).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50; // version 5
  hash[8] = (hash[8]! & 0x3f) | 0x80; // RFC variant
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
