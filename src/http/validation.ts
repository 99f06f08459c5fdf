/**
 * Ajv as the app uses it everywhere (routes and tests): bodies are validated strictly (no type
 * coercion: `"101"` is not the number 101), query strings and params are coerced from text.
 */
import { Ajv, type ErrorObject, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { ErrorDetail } from './errors.js';
import { fullFormats, parseInstant } from './instants.js';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** Year 0000 is valid ISO 8601 but not a date PostgreSQL stores; 0001–9999 are. */
const storableYear = (s: string) => /^\d{4}-/.test(s) && !s.startsWith('0000');

/**
 * Dates and instants PostgreSQL accepts (`date`; `date-time`, checked after its offset is applied,
 * src/http/instants.ts), and `past-date`: a date of birth, a real calendar date YYYY-MM-DD before
 * today (UTC).
 */
function addDateFormats(ajv: Ajv): void {
  ajv.addFormat('date', {
    type: 'string',
    validate: (s: string) => storableYear(s) && fullFormats.date.validate(s),
  });
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => parseInstant(s) !== null });
  ajv.addFormat('past-date', {
    type: 'string',
    validate: (s: string) =>
      storableYear(s) && fullFormats.date.validate(s) && s < new Date().toISOString().slice(0, 10),
  });
}

const common: Options = {
  allErrors: true,
  useDefaults: true,
  removeAdditional: false,
  strict: false,
  // OpenAPI keywords that appear in route schemas.
  keywords: ['example'],
};

export function createAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({ ...common, coerceTypes: coerce ? 'array' : false });
  addFormats(ajv);
  addDateFormats(ajv);
  return ajv;
}

const bodyAjv = createAjv(false);
const textAjv = createAjv(true);

/** Deeper than any schema of ours goes; a body nested further is refused before it is walked further. */
export const MAX_DEPTH = 32;

/**
 * C0 and C1 control characters except tab and newline, and UTF-16 surrogates without their pair
 * (JSON can carry `"\ud800"`; UTF-8 cannot). PostgreSQL refuses NUL in text outright.
 */
const BAD_TEXT =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function describeChar(s: string): string {
  const bad = BAD_TEXT.exec(s)![0];
  const hex = bad.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
  return bad >= '\uD800' && bad <= '\uDFFF'
    ? `must not contain an unpaired UTF-16 surrogate (U+${hex})`
    : `must not contain the control character U+${hex} (only tab and newline are allowed)`;
}

/**
 * The first string (value or object key) in `data` that holds a character no text field of ours
 * accepts, a number that is not finite, or a level of nesting beyond MAX_DEPTH, as an Ajv-style
 * error. Walks the parsed request, so it covers every field of every schema at once, free-form
 * ones included. JSON has no Infinity, but its parser turns `1e400` into one (and a query string's
 * `1e400` is coerced into one); a column stores none, and `JSON.stringify` writes it as null.
 */
export function findUnstorable(data: unknown, path = '', depth = 0): ErrorObject | undefined {
  const error = (instancePath: string, message: string): ErrorObject => ({
    instancePath,
    schemaPath: '#/text',
    keyword: 'text',
    params: {},
    message,
  });
  if (typeof data === 'string') return BAD_TEXT.test(data) ? error(path, describeChar(data)) : undefined;
  if (typeof data === 'number') {
    return Number.isFinite(data)
      ? undefined
      : error(path, 'must be a finite number (1e400 is beyond any number)');
  }
  if (data === null || typeof data !== 'object') return undefined;
  if (depth >= MAX_DEPTH) return error(path, `is nested more than ${MAX_DEPTH} levels deep`);
  if (Array.isArray(data)) {
    for (let i = 0; i < data.length; i++) {
      const found = findUnstorable(data[i], `${path}/${i}`, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, value] of Object.entries(data)) {
    const keyPath = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (BAD_TEXT.test(key)) return error(path, `has a property name that ${describeChar(key)}`);
    const found = findUnstorable(value, keyPath, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * Every route's schema compiles here, so every request part (body, query, params, headers) that
 * has a schema is checked twice: by Ajv against its schema, then — once it passes — for text
 * PostgreSQL would refuse or that has no business in a field, and for numbers that are not finite
 * (findUnstorable). One place, every route. A finite number's range is its schema's minimum and
 * maximum, which every number a route accepts has (test/http/input-bounds.test.ts).
 */
export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodyAjv : textAjv;
  const validate = ajv.compile(schema as object);
  const checked = (data: unknown): boolean => {
    if (!validate(data)) {
      checked.errors = validate.errors;
      return false;
    }
    const bad = findUnstorable(data);
    checked.errors = bad ? [bad] : null;
    return !bad;
  };
  checked.errors = null as ErrorObject[] | null | undefined;
  return checked;
};

const FORMAT_MESSAGES: Record<string, string> = {
  'past-date': 'must be a real past date YYYY-MM-DD',
  date: 'must be a real date YYYY-MM-DD between years 0001 and 9999',
  'date-time':
    'must be an ISO 8601 date-time with a time zone, in years 0001 to 9999 once its offset is applied, without a leap second',
};

/** Ajv errors as `{path, message}` a client can act on. */
export function toDetails(errors: readonly ErrorObject[], prefix = ''): ErrorDetail[] {
  return errors.map((e) => {
    let path = e.instancePath;
    if (e.keyword === 'required') path += `/${(e.params as { missingProperty: string }).missingProperty}`;
    if (e.keyword === 'additionalProperties') {
      path += `/${(e.params as { additionalProperty: string }).additionalProperty}`;
    }
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'enum') {
      message = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map(String).join(', ')}`;
    }
    if (e.keyword === 'required') message = 'is required';
    if (e.keyword === 'format') message = FORMAT_MESSAGES[(e.params as { format: string }).format] ?? message;
    return { path: `${prefix}${path || '/'}`, message };
  });
}
