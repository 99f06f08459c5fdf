/**
 * `POST /v3/order` body validation with Junction's (FastAPI/pydantic) 422 shape. Like pydantic,
 * an item carries the offending `input`: a realistic upstream echoes patient values in its
 * errors, and the client must be the one that keeps them out of labline's messages.
 */
import { findLabTest, type SimulatorLabTest } from './catalog.js';

export interface FastApiError {
  loc: (string | number)[];
  msg: string;
  type: string;
  input?: unknown;
  ctx?: Record<string, unknown>;
}

export interface PatientDetails {
  first_name: string;
  last_name: string;
  dob: string;
  gender: string;
  phone_number: string;
  email: string;
}

export interface PatientAddress {
  first_line: string;
  second_line: string | null;
  city: string;
  state: string;
  zip: string;
  country: string;
  receiver_name: string | null;
}

export interface ValidOrder {
  userId: string;
  labTest: SimulatorLabTest;
  patientDetails: PatientDetails;
  patientAddress: PatientAddress;
  physician: Physician | null;
  priority: boolean;
  /** the client's own reference, returned on the order and in webhooks */
  passthrough: string | null;
}

export interface Physician {
  first_name: string;
  last_name: string;
  npi: string;
}

const GENDERS = ['female', 'male', 'other', 'unknown'];
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isRealPastDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return d.toISOString().startsWith(s) && d.getTime() < Date.now();
}

/**
 * Junction's patient name rule (`lab/workflow/order-requirements.mdx`, "Patient name validation"):
 * ASCII letters, digits and `-.,'`, single inner spaces, no surrounding space; at most 50 characters
 * (`PatientDetailsWithValidation`). The ZIP: `PatientAddressWithValidation.zip`.
 */
const NAME = /^([a-zA-Z0-9]{1})([a-zA-Z0-9-.,']*(\s[a-zA-Z0-9-.,']+)*[a-zA-Z0-9-.,']?)$/;
const MAX_NAME = 50;
const ZIP = /^\d{5}(-\d{4})?$/;

export function validateOrder(
  body: unknown,
  userExists: (userId: string) => boolean,
): ValidOrder | FastApiError[] {
  const errors: FastApiError[] = [];
  if (!isRecord(body)) {
    return [
      { loc: ['body'], msg: 'Input should be a valid dictionary or object', type: 'dict_type', input: body },
    ];
  }

  const str = (obj: Record<string, unknown>, key: string, loc: string[], optional = false): string | null => {
    const v = obj[key];
    if (v === undefined || v === null) {
      if (!optional) errors.push({ loc: [...loc, key], msg: 'Field required', type: 'missing', input: obj });
      return null;
    }
    if (typeof v !== 'string') {
      errors.push({
        loc: [...loc, key],
        msg: 'Input should be a valid string',
        type: 'string_type',
        input: v,
      });
      return null;
    }
    if (!optional && v.trim() === '') {
      errors.push({
        loc: [...loc, key],
        msg: 'String should have at least 1 character',
        type: 'string_too_short',
        input: v,
      });
      return null;
    }
    return v;
  };

  /** A patient name as Junction checks it (`PatientDetailsWithValidation`), or null. */
  const name = (obj: Record<string, unknown>, key: string, loc: string[]): string | null => {
    const v = str(obj, key, loc);
    if (v === null) return null;
    if (v.length > MAX_NAME) {
      errors.push({
        loc: [...loc, key],
        msg: `String should have at most ${MAX_NAME} characters`,
        type: 'string_too_long',
        input: v,
        ctx: { max_length: MAX_NAME },
      });
      return null;
    }
    if (!NAME.test(v)) {
      errors.push({
        loc: [...loc, key],
        msg: `String should match pattern '${NAME.source}'`,
        type: 'string_pattern_mismatch',
        input: v,
        ctx: { pattern: NAME.source },
      });
      return null;
    }
    return v;
  };

  const userId = str(body, 'user_id', ['body']);

  let labTestIds: unknown[] = [];
  if (body.lab_test_id !== undefined && body.lab_test_id !== null) labTestIds = [body.lab_test_id];
  else if (isRecord(body.order_set) && Array.isArray(body.order_set.lab_test_ids))
    labTestIds = body.order_set.lab_test_ids;
  let labTest: SimulatorLabTest | undefined;
  if (labTestIds.length !== 1 || typeof labTestIds[0] !== 'string') {
    errors.push({
      loc: ['body', 'order_set', 'lab_test_ids'],
      msg: 'Value error, exactly one lab test id is required (lab_test_id or order_set.lab_test_ids)',
      type: 'value_error',
      input: labTestIds,
    });
  } else {
    labTest = findLabTest(labTestIds[0]);
    if (!labTest) {
      errors.push({
        loc: ['body', 'order_set', 'lab_test_ids', 0],
        msg: `Value error, lab test ${labTestIds[0]} not found`,
        type: 'value_error',
        input: labTestIds[0],
      });
    }
  }
  if (
    body.collection_method !== undefined &&
    body.collection_method !== null &&
    body.collection_method !== 'walk_in_test'
  ) {
    errors.push({
      loc: ['body', 'collection_method'],
      msg: 'Value error, collection method not supported by this lab test',
      type: 'value_error',
      input: body.collection_method,
    });
  }

  let patientDetails: PatientDetails | null = null;
  if (!isRecord(body.patient_details)) {
    errors.push({ loc: ['body', 'patient_details'], msg: 'Field required', type: 'missing', input: body });
  } else {
    const p = body.patient_details;
    const loc = ['body', 'patient_details'];
    const firstName = name(p, 'first_name', loc);
    const lastName = name(p, 'last_name', loc);
    const dob = str(p, 'dob', loc);
    if (dob !== null && !isRealPastDate(dob)) {
      errors.push({
        loc: [...loc, 'dob'],
        msg: 'Value error, dob must be a past date YYYY-MM-DD',
        type: 'value_error',
        input: dob,
      });
    }
    const gender = str(p, 'gender', loc);
    if (gender !== null && !GENDERS.includes(gender)) {
      errors.push({
        loc: [...loc, 'gender'],
        msg: "Input should be 'female', 'male', 'other' or 'unknown'",
        type: 'enum',
        input: gender,
      });
    }
    const phone = str(p, 'phone_number', loc);
    if (phone !== null && !/^\+[1-9]\d{6,14}$/.test(phone)) {
      errors.push({
        loc: [...loc, 'phone_number'],
        msg: 'Value error, invalid phone number',
        type: 'value_error',
        input: phone,
      });
    }
    const email = str(p, 'email', loc);
    if (email !== null && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
      errors.push({
        loc: [...loc, 'email'],
        msg: 'value is not a valid email address: An email address must have an @-sign.',
        type: 'value_error',
        input: email,
      });
    }
    if (firstName && lastName && dob && gender && phone && email) {
      patientDetails = {
        first_name: firstName,
        last_name: lastName,
        dob,
        gender,
        phone_number: phone,
        email,
      };
    }
  }

  let patientAddress: PatientAddress | null = null;
  if (!isRecord(body.patient_address)) {
    errors.push({ loc: ['body', 'patient_address'], msg: 'Field required', type: 'missing', input: body });
  } else {
    const a = body.patient_address;
    const loc = ['body', 'patient_address'];
    const firstLine = str(a, 'first_line', loc);
    const secondLine = str(a, 'second_line', loc, true);
    const city = str(a, 'city', loc);
    const state = str(a, 'state', loc);
    const zip = str(a, 'zip', loc);
    if (zip !== null && !ZIP.test(zip)) {
      errors.push({
        loc: [...loc, 'zip'],
        msg: `String should match pattern '${ZIP.source}'`,
        type: 'string_pattern_mismatch',
        input: zip,
        ctx: { pattern: ZIP.source },
      });
    }
    const country = str(a, 'country', loc);
    const receiverName = str(a, 'receiver_name', loc, true);
    if (firstLine && city && state && zip && country) {
      patientAddress = {
        first_line: firstLine,
        second_line: secondLine,
        city,
        state,
        zip,
        country,
        receiver_name: receiverName,
      };
    }
  }

  let physician: Physician | null = null;
  if (body.physician !== undefined && body.physician !== null) {
    if (!isRecord(body.physician)) {
      errors.push({
        loc: ['body', 'physician'],
        msg: 'Input should be a valid dictionary',
        type: 'dict_type',
        input: body.physician,
      });
    } else {
      const loc = ['body', 'physician'];
      const firstName = str(body.physician, 'first_name', loc);
      const lastName = str(body.physician, 'last_name', loc);
      const npi = str(body.physician, 'npi', loc);
      if (firstName && lastName && npi) physician = { first_name: firstName, last_name: lastName, npi };
    }
  }

  // Junction checks the user after the body parses, as FastAPI would in the handler.
  if (errors.length === 0 && userId !== null && !userExists(userId)) {
    errors.push({
      loc: ['body', 'user_id'],
      msg: `Value error, user ${userId} not found`,
      type: 'value_error',
      input: userId,
    });
  }
  if (errors.length > 0 || !userId || !labTest || !patientDetails || !patientAddress) return errors;
  return {
    userId,
    labTest,
    patientDetails,
    patientAddress,
    physician,
    priority: body.priority === true,
    passthrough: typeof body.passthrough === 'string' ? body.passthrough : null,
  };
}
