/** The API key bodies (snake_case, as the clinical surface they serve). */
import { Type, type Static } from 'typebox';
import { SCOPES } from '../http/auth.js';
import { BrandId } from '../http/schemas.js';

export const KEY_SCOPES = Object.values(SCOPES);

const Scope = Type.Enum(KEY_SCOPES, { type: 'string', description: 'A clinical surface scope' });
const Instant = Type.String({ format: 'date-time', maxLength: 64 });
const NullableInstant = Type.Union([Instant, Type.Null()]);

export const CreateApiKeyBody = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'What the key is for',
      examples: ['orders backend'],
    }),
    scopes: Type.Array(Scope, {
      minItems: 1,
      uniqueItems: true,
      examples: [['lab-orders:write', 'lab-orders:read']],
    }),
    brand_ids: Type.Array(BrandId, {
      minItems: 1,
      maxItems: 100,
      uniqueItems: true,
      examples: [['demo-brand']],
    }),
    expires_at: Type.Optional(
      Type.Union([Instant, Type.Null()], {
        description: 'A future instant; null or absent: the key does not expire',
      }),
    ),
  },
  { additionalProperties: false },
);
export type CreateApiKeyBody = Static<typeof CreateApiKeyBody>;

const apiKeyFields = {
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  prefix: Type.String({
    description: 'The first characters of the key, to tell keys apart',
    examples: ['lk_Zx8qP2aL'],
  }),
  scopes: Type.Array(Type.String()),
  brand_ids: Type.Array(Type.String()),
  created_at: Instant,
  expires_at: NullableInstant,
  last_used_at: Type.Union([Instant, Type.Null()], { description: 'Updated at most once a minute' }),
  revoked_at: NullableInstant,
};

export const ApiKey = Type.Object(apiKeyFields, { title: 'ApiKey' });
export const NewApiKey = Type.Object(
  {
    ...apiKeyFields,
    key: Type.String({
      description:
        'The key itself: shown in this answer only, never again. Send it as `Authorization: Bearer lk_…`.',
      examples: ['lk_Zx8qP2aL…'],
    }),
  },
  { title: 'NewApiKey' },
);

export const ApiKeyParams = Type.Object({ id: Type.String({ format: 'uuid', maxLength: 36 }) });

export const ApiKeyListQuery = Type.Object({
  limit: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 200,
      default: 50,
      description: 'Page size (default 50, at most 200)',
    }),
  ),
  cursor: Type.Optional(
    Type.String({ minLength: 1, maxLength: 512, description: 'The next_cursor of the previous page' }),
  ),
});
