/**
 * What every workspace-surface route shares: the two prefixes it is served under, its OpenAPI
 * tags, id and timestamp schemas, and the 409 for duplicate creates.
 */
import { Type, type TSchema } from 'typebox';
import { ErrorResponse } from '../http/schemas.js';

export const TAG_VISITS = 'Workspace lab visits';
export const TAG_MANAGEMENT = 'Workspace management';

export interface Surface {
  prefix: string;
  operationId(name: string): string;
  summary(text: string): string;
}

/**
 * `/v1` is the backend path; `/api/v1` the contract's public path. Both run the same handlers
 * with the same schemas; the alias gets its own operation ids (OpenAPI requires them unique).
 */
export const SURFACES: readonly Surface[] = [
  { prefix: '/v1', operationId: (name) => name, summary: (text) => text },
  {
    prefix: '/api/v1',
    operationId: (name) => `${name}ViaApiPath`,
    summary: (text) => `${text} (/api alias)`,
  },
];

export const Nullable = <T extends TSchema>(schema: T, options?: { description?: string }) =>
  Type.Union([schema, Type.Null()], options);

/**
 * Ids are schema-checked only as strings: a malformed ObjectId is 422 `invalid_id`, not 400. The
 * length bound (well above 24) keeps absurd input out: such a string is a 400 like any other.
 */
export const ObjectIdString = (description: string) =>
  Type.String({
    maxLength: 64,
    description: `${description} (24-hex ObjectId)`,
    examples: ['507f1f77bcf86cd799439013'],
  });

export const NullableObjectIdString = (description: string) => Nullable(ObjectIdString(description));

/** A person's, clinic's or referral source's name. */
export const Name = Type.String({ minLength: 1, maxLength: 200 });

export const Timestamp = Type.String({ format: 'date-time', maxLength: 64 });
export const NullableTimestamp = Nullable(Timestamp);

export const WorkspaceParams = Type.Object({ workspaceId: ObjectIdString('Workspace id') });

export const ConflictResponse = {
  409: { ...ErrorResponse, description: 'Already exists' } as typeof ErrorResponse,
};

/** Optional text fields accept null as "not given"; stored as null either way. */
export function orNull<T>(value: T | null | undefined): T | null {
  return value ?? null;
}

export const iso = (d: Date): string => d.toISOString();
export const isoOrNull = (d: Date | null): string | null => (d === null ? null : d.toISOString());
