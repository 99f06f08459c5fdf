/**
 * Structured JSON logs with PHI kept out. Request bodies are never logged; as a second line of
 * defence, any logged object's patient fields (at any of the first four levels) are censored.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import pino, { type DestinationStream, type Logger } from 'pino';

export const PHI_FIELDS = [
  'first_name',
  'last_name',
  'firstName',
  'lastName',
  'name',
  'dob',
  'email',
  'phone',
  'phone_number',
  'phoneNumber',
  'address',
  'patient_address',
  'patient_details',
  'patient',
  'line1',
  'line2',
  'first_line',
  'second_line',
  'receiver_name',
  'notes',
  'labVisitNotes',
  'password',
  'authorization',
  'cookie',
];

function redactPaths(): string[] {
  const paths: string[] = [];
  for (const f of PHI_FIELDS) {
    paths.push(f, `*.${f}`, `*.*.${f}`, `*.*.*.${f}`);
  }
  return paths;
}

export function createLogger(level: string, stream?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: redactPaths(), censor: '[redacted]' },
      base: { service: 'labline' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    stream,
  );
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Honour a well-formed `x-request-id` from the caller (or the load balancer); otherwise make one. */
export function genRequestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}
