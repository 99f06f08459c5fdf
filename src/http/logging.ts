/**
 * Structured JSON logs with PHI kept out. Request bodies are never logged and log lines are built
 * from chosen fields; as a second line of defence, any logged object's patient fields (at any of
 * the first four levels) are censored.
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

const PHI_KEYS = new Set(PHI_FIELDS);
const CENSORED = '[redacted]';
/** Levels of a logged object searched for patient fields (the object's own keys are level 1). */
const CENSOR_DEPTH = 4;

/**
 * `value` with every PHI field's value (at levels 1 to 4, in objects and arrays) replaced by
 * `[redacted]`; the same object when it has none (the usual case: nothing is copied). The logged
 * object itself is never changed.
 *
 * Why not pino's `redact`: it needs a path per field and level (96 wildcard paths here), matched
 * on every log line; this walks only the few keys a line has (docs/benchmarks.md, step 3).
 */
export function censorPhi(value: unknown, level = 1): unknown {
  if (level > CENSOR_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const list = value as unknown[];
    let copy: unknown[] | null = null;
    for (let i = 0; i < list.length; i++) {
      const next = censorPhi(list[i], level + 1);
      if (next !== list[i]) (copy ??= [...list])[i] = next;
    }
    return copy ?? list;
  }
  if (value instanceof Error || value instanceof Date) return value;
  let copy: Record<string, unknown> | null = null;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const v = record[key];
    const next = PHI_KEYS.has(key) ? CENSORED : censorPhi(v, level + 1);
    if (next !== v) (copy ??= { ...record })[key] = next;
  }
  return copy ?? value;
}

export function createLogger(level: string, stream?: DestinationStream): Logger {
  return pino(
    {
      level,
      formatters: { log: (object) => censorPhi(object) as Record<string, unknown> },
      // Whatever is logged as `err` is rebuilt from chosen fields (describeError).
      serializers: { err: describeError },
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

/** A PostgreSQL error's fields that name what failed without quoting any value. */
const DB_FIELDS = [
  'code',
  'severity',
  'constraint',
  'table',
  'column',
  'dataType',
  'schema',
  'routine',
] as const;
const SQLSTATE = /^[0-9A-Z]{5}$/;
const SAFE_CODE = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * What a log line may say about an error, built from chosen fields; message and detail texts are
 * never copied. They can quote data: a database error's message quotes the value it refused
 * (`date/time field value out of range: "…"`), its detail the duplicate key, Drizzle's message
 * lists the statement's parameters, V8 quotes the source of a regular expression it refused and
 * the text it could not parse as JSON. A database error keeps its SQLSTATE, constraint, table,
 * column and the statement (a prepared statement's name, or the verb and table of the SQL text,
 * which holds placeholders, never values); any other error its class, code and stack frames.
 */
export function describeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err };
  const out: Record<string, unknown> = { type: err.name };
  const status = (err as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number') out.status = status;
  const db = databaseErrorIn(err);
  if (db) {
    for (const field of DB_FIELDS) {
      const value = db[field];
      if (typeof value === 'string' && SAFE_CODE.test(value)) out[field] = value;
    }
    const statement = statementOf(err);
    if (statement) out.statement = statement;
    return out;
  }
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && SAFE_CODE.test(code)) out.code = code;
  const frames = framesOf(err);
  if (frames) out.stack = frames;
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const causeCode = (cause as { code?: unknown }).code;
    out.cause = {
      type: cause.name,
      ...(typeof causeCode === 'string' && SAFE_CODE.test(causeCode) ? { code: causeCode } : {}),
    };
  }
  return out;
}

/** The PostgreSQL error in `err` or its causes (Drizzle wraps the driver's error). */
function databaseErrorIn(err: Error): Record<string, unknown> | null {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && SQLSTATE.test(code)) return e as Record<string, unknown>;
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

/** A fixed statement's name (src/db/statements.ts), or the verb and first table of Drizzle's SQL text. */
function statementOf(err: Error): string | null {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const name = (e as { statement?: unknown }).statement;
    if (typeof name === 'string' && SAFE_CODE.test(name)) return name;
    const query = (e as { query?: unknown }).query;
    if (typeof query === 'string') {
      const verb = /^\s*(with|select|insert|update|delete)\b/i.exec(query)?.[1]?.toLowerCase() ?? 'statement';
      const table = /\b(?:insert\s+into|update|delete\s+from|from)\s+"?([a-z_][a-z0-9_]*)"?/i.exec(
        query,
      )?.[1];
      return table ? `${verb} ${table}` : verb;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

/** The `at …` lines of a stack, without the message lines above them. */
function framesOf(err: Error): string | null {
  const frames = (err.stack ?? '')
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .slice(0, 8)
    .map((line) => line.trim());
  return frames.length > 0 ? frames.join('\n') : null;
}
