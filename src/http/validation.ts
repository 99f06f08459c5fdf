/**
 * Ajv as the app uses it everywhere (routes and tests): bodies are validated strictly (no type
 * coercion: `"101"` is not the number 101), query strings and params are coerced from text.
 */
import { Ajv, type ErrorObject, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import formatsModule from 'ajv-formats/dist/formats.js';
import type { FastifySchemaCompiler } from 'fastify';
import type { ErrorDetail } from './errors.js';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const { fullFormats } = formatsModule as unknown as {
  fullFormats: Record<'date' | 'date-time', { validate: (s: string) => boolean }>;
};

/** Year 0000 is valid ISO 8601 but not a date PostgreSQL stores; 0001–9999 are. */
const storableYear = (s: string) => /^\d{4}-/.test(s) && !s.startsWith('0000');

/**
 * Dates and instants PostgreSQL accepts (`date`, `date-time`), and `past-date`: a date of birth,
 * a real calendar date YYYY-MM-DD before today (UTC).
 */
function addDateFormats(ajv: Ajv): void {
  ajv.addFormat('date', { type: 'string', validate: (s: string) => storableYear(s) && fullFormats.date.validate(s) });
  ajv.addFormat('date-time', {
    type: 'string',
    validate: (s: string) => storableYear(s) && fullFormats['date-time'].validate(s),
  });
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

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodyAjv : textAjv;
  return ajv.compile(schema as object);
};

const FORMAT_MESSAGES: Record<string, string> = {
  'past-date': 'must be a real past date YYYY-MM-DD',
  date: 'must be a real date YYYY-MM-DD between years 0001 and 9999',
  'date-time': 'must be an ISO 8601 date-time with a time zone, years 0001 to 9999',
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
