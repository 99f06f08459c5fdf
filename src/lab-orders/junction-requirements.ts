/**
 * What Junction refuses in an order's patient and address, refused here first: 400
 * `validation_error` naming each field, before anything is stored or sent to Junction. One place
 * for the order create and for PUT /v1/patients/:id, so that a profile that could never be ordered
 * is never kept. Each rule's source is in docs/junction.md ("What Junction refuses, refused first").
 * The rules the request schema already states (gender, E.164 phone, e-mail, a past date of birth,
 * names of at most 50 characters) stay there.
 */
import { Errors, type ErrorDetail } from '../http/errors.js';
import type { PatientChanges } from './patients.js';

/**
 * Junction's patient name pattern (Order Requirements, "Patient name validation"), written as
 * there with `-` moved to the end of each character class (the same set).
 */
const JUNCTION_NAME = /^([a-zA-Z0-9]{1})([a-zA-Z0-9.,'-]*(\s[a-zA-Z0-9.,'-]+)*[a-zA-Z0-9.,'-]?)$/;
/** A character the pattern takes anywhere in a name (a space only between words). */
const NAME_CHARACTER = /[a-zA-Z0-9.,' -]/;
/** `PatientDetailsWithValidation.first_name`/`last_name`: maxLength 50. */
const MAX_NAME = 50;
/** `PatientAddressWithValidation.zip`. */
const ZIP = /^\d{5}(-\d{4})?$/;
/**
 * Two-letter USPS codes: Junction's `USState` (the 50 states), and the District of Columbia and the
 * territories, which US labs serve and which Junction's order address (a free string) does not exclude.
 */
const US_STATES = new Set(
  (
    'AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY ' +
    'NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR VI GU AS MP'
  ).split(' '),
);
/** Junction orders for a minor only with a team setting and a medical proxy, neither of which labline has. */
const ADULT_AGE = 18;

/** A name as Junction takes it: no surrounding whitespace, one space between words. Never a refusal. */
export function collapseWhitespace(name: string): string {
  return name.trim().replace(/\s+/g, ' ');
}

function describe(ch: string): string {
  return `"${ch}" (U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`;
}

/** Why Junction would refuse `name` (already collapsed), or null. */
function nameProblem(name: string): string | null {
  if (name === '') return 'must contain a letter or a digit';
  const refused = [...new Set([...name].filter((ch) => !NAME_CHARACTER.test(ch)))];
  if (refused.length > 0) {
    const shown = refused.slice(0, 5).map(describe).join(', ');
    return (
      `contains ${shown}: Junction accepts only the ASCII letters A-Z and a-z, digits, hyphens, periods, ` +
      `commas, straight apostrophes (') and single spaces between words. Replace or remove ` +
      `${refused.length === 1 ? 'it' : 'them'} (e.g. "José" as "Jose", "O’Brien" as "O'Brien"): ` +
      'labline never changes a patient’s name by itself'
    );
  }
  if (!JUNCTION_NAME.test(name)) return 'must start with a letter or a digit (Junction’s rule)';
  if (name.length > MAX_NAME) return `must be at most ${MAX_NAME} characters`;
  return null;
}

/** Age in whole years on `today` (UTC) of someone born on `dob` (YYYY-MM-DD). */
function ageOn(dob: string, today: Date): number {
  const [year, month, day] = dob.split('-').map(Number) as [number, number, number];
  const m = today.getUTCMonth() + 1;
  const beforeBirthday = m < month || (m === month && today.getUTCDate() < day);
  return today.getUTCFullYear() - year - (beforeBirthday ? 1 : 0);
}

/**
 * `changes` as Junction takes them (names' whitespace collapsed, the state in capitals), and each
 * field Junction would refuse, with a message a brand's developer can act on.
 */
export function junctionProblems(
  changes: PatientChanges,
  today: Date = new Date(),
): { changes: PatientChanges; details: ErrorDetail[] } {
  const details: ErrorDetail[] = [];
  const out: PatientChanges = { ...changes };
  for (const [key, path] of [
    ['firstName', '/patient/first_name'],
    ['lastName', '/patient/last_name'],
  ] as const) {
    const value = changes[key];
    if (value === undefined) continue;
    out[key] = collapseWhitespace(value);
    const problem = nameProblem(out[key]);
    if (problem) details.push({ path, message: problem });
  }
  if (changes.dob !== undefined && ageOn(changes.dob, today) < ADULT_AGE) {
    details.push({
      path: '/patient/dob',
      message:
        `is of a patient under ${ADULT_AGE}: Junction orders for minors only with a medical proxy and a ` +
        'setting of its own, which labline does not send; lab orders here are for adults only',
    });
  }
  if (changes.address) {
    const address = { ...changes.address, state: changes.address.state.trim().toUpperCase() };
    out.address = address;
    if (!ZIP.test(address.zip)) {
      details.push({
        path: '/address/zip',
        message: 'must be a US ZIP code, 12345 or 12345-6789: Junction’s labs are in the United States',
      });
    }
    if (!US_STATES.has(address.state)) {
      details.push({
        path: '/address/state',
        message: 'must be a two-letter US state code such as CA or NY (DC and the territories too)',
      });
    }
  }
  return { changes: out, details };
}

function sentence(details: ErrorDetail[]): string {
  return details.map((d) => `${d.path.slice(1).replace('/', '.')} ${d.message}`).join('; ');
}

/**
 * What a request sends about a patient, as Junction takes it; 400 `validation_error` naming each
 * field Junction would refuse.
 */
export function forJunction(changes: PatientChanges): PatientChanges {
  const checked = junctionProblems(changes);
  if (checked.details.length > 0)
    throw Errors.validation(
      `Junction would refuse this patient: ${sentence(checked.details)}.`,
      checked.details,
    );
  return checked.changes;
}

/**
 * An order's patient: what the request `sent`, completed from the `stored` profile. The stored
 * fields it uses (a profile may have been kept before these rules) are taken as Junction takes
 * them; 400 when Junction would refuse one, saying how to correct it.
 */
export function withStoredProfile(stored: PatientChanges, sent: PatientChanges): PatientChanges {
  const used: PatientChanges = { ...stored };
  for (const key of Object.keys(sent) as (keyof PatientChanges)[]) {
    if (sent[key] !== undefined) delete used[key];
  }
  const checked = junctionProblems(used);
  if (checked.details.length > 0)
    throw Errors.validation(
      `Junction would refuse the stored profile of this patient: ${sentence(checked.details)}. Send the ` +
        'corrected fields with the order, or store them with PUT /v1/patients/{patientId}.',
      checked.details,
    );
  return { ...checked.changes, ...sent };
}
