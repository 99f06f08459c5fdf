/**
 * Managing API keys (docs/api-keys.md): the platform admin for any brand, or a caller with
 * `lab-orders:admin` for the brands it holds and the scopes it has. A key's secret is in the
 * create's answer only.
 */
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { audit, auditActor } from '../audit/audit.js';
import type { Database } from '../db/database.js';
import type { App } from '../http/app-type.js';
import { cursorCodec } from '../http/cursor.js';
import { principalOf, requireBrand, SCOPES, type Principal } from '../http/auth.js';
import { Errors } from '../http/errors.js';
import { instantOf } from '../http/instants.js';
import { errorResponses } from '../http/schemas.js';
import { createApiKey } from './keys.js';
import { findApiKey, listApiKeys, revokeApiKey, type ApiKeyRow, type KeyScope } from './repository.js';
import { ApiKey, ApiKeyListQuery, ApiKeyParams, CreateApiKeyBody, NewApiKey } from './schemas.js';

const TAGS = ['API keys'];
const RESOURCE = 'api_key';
const KEY_CURSOR = cursorCodec('timestamp', 'uuid');

const isAdmin = (p: Principal) => p.persona === 'admin';

/** preValidation: 403 unless the caller may manage keys at all. */
async function requireKeyManager(request: FastifyRequest): Promise<void> {
  const principal = principalOf(request);
  if (!isAdmin(principal) && !principal.scopes.has(SCOPES.labOrdersAdmin)) {
    throw Errors.insufficientScope(SCOPES.labOrdersAdmin);
  }
}

/** The keys a caller sees: all for the admin or a token not limited to brands, else those of its brands. */
function scopeOf(request: FastifyRequest): KeyScope {
  const principal = principalOf(request);
  return isAdmin(principal) ? null : principal.brandIds;
}

/** A key may carry only the brands and scopes its maker holds (the admin holds them all). */
function authorizeCreate(request: FastifyRequest): void {
  const principal = principalOf(request);
  if (isAdmin(principal)) return;
  const body = request.body as CreateApiKeyBody;
  for (const brandId of body.brand_ids) requireBrand(principal, brandId);
  for (const scope of body.scopes) if (!principal.scopes.has(scope)) throw Errors.insufficientScope(scope);
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

function present(row: ApiKeyRow) {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    brand_ids: row.brandIds,
    created_at: row.createdAt.toISOString(),
    expires_at: iso(row.expiresAt),
    last_used_at: iso(row.lastUsedAt),
    revoked_at: iso(row.revokedAt),
  };
}

export async function apiKeyRoutes(app: App, { database }: { database: Database }) {
  const One = Type.Object({ api_key: ApiKey });

  async function visibleKey(request: FastifyRequest, id: string): Promise<ApiKeyRow> {
    const row = await findApiKey(database.db, scopeOf(request), id);
    if (!row) throw Errors.notFound(`No API key ${id}.`);
    return row;
  }

  app.post(
    '/v1/api-keys',
    {
      preValidation: requireKeyManager,
      config: { authorize: authorizeCreate },
      schema: {
        tags: TAGS,
        operationId: 'createApiKey',
        summary: 'Make an API key for machine clients of the clinical surface',
        description:
          'The platform admin may make keys for any brand; a caller with `lab-orders:admin` for the brands it holds ' +
          '(403 `brand_forbidden`) with scopes it has (403 `insufficient_scope`). The answer carries the key (`key`, ' +
          '`lk_…`) once: only its hash is kept.',
        body: CreateApiKeyBody,
        response: { 201: Type.Object({ api_key: NewApiKey }), ...errorResponses(400, 401, 403, 413, 415) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const maker = principalOf(request);
      const requested = body.expires_at == null ? null : instantOf(body.expires_at);
      if (requested !== null && !(requested.getTime() > Date.now())) {
        throw Errors.validation('expires_at must be in the future.', [
          { path: '/expires_at', message: 'must be in the future' },
        ]);
      }
      // A key expires no later than the token or key that makes it: a leaked credential cannot
      // outlive itself by minting a key (docs/api-keys.md). No expiry asked: the maker's.
      if (requested !== null && maker.expiresAt !== null && requested > maker.expiresAt) {
        const limit = maker.expiresAt.toISOString();
        throw Errors.validation(
          `expires_at must not be later than ${limit}, when the credential making it expires.`,
          [
            {
              path: '/expires_at',
              message: `must not be later than ${limit}, when the credential making it expires`,
            },
          ],
        );
      }
      const expiresAt = requested ?? maker.expiresAt;
      const { row, key } = await database.transaction(async (tx) => {
        const made = await createApiKey(tx, {
          name: body.name,
          scopes: body.scopes,
          brandIds: body.brand_ids,
          expiresAt,
          createdBy: maker.sub,
        });
        await audit(tx, auditActor(request), {
          action: 'create',
          resourceType: RESOURCE,
          resourceId: made.row.id,
          tenant: made.row.brandIds.join(','),
        });
        return made;
      });
      return reply.code(201).send({ api_key: { ...present(row), key } });
    },
  );

  app.get(
    '/v1/api-keys',
    {
      preValidation: requireKeyManager,
      schema: {
        tags: TAGS,
        operationId: 'listApiKeys',
        summary: 'The API keys the caller may manage, newest first (revoked ones too, with revoked_at)',
        querystring: ApiKeyListQuery,
        response: {
          200: Type.Object({
            data: Type.Array(ApiKey),
            next_cursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const after = request.query.cursor ? KEY_CURSOR.decode(request.query.cursor) : null;
      const rows = await listApiKeys(
        database.db,
        scopeOf(request),
        after === null ? null : { createdAt: after[0], id: after[1] },
        limit + 1,
      );
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        data: page.map(present),
        next_cursor: rows.length > limit && last ? KEY_CURSOR.encode([last.createdAt, last.id]) : null,
      };
    },
  );

  app.get(
    '/v1/api-keys/:id',
    {
      preValidation: requireKeyManager,
      schema: {
        tags: TAGS,
        operationId: 'getApiKey',
        summary: 'An API key (never its secret)',
        params: ApiKeyParams,
        response: { 200: One, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => ({ api_key: present(await visibleKey(request, request.params.id)) }),
  );

  app.delete(
    '/v1/api-keys/:id',
    {
      preValidation: requireKeyManager,
      schema: {
        tags: TAGS,
        operationId: 'revokeApiKey',
        summary: 'Revoke an API key: refused (401) from its next request on, on every replica',
        description: 'Answers the key with `revoked_at`; revoking a revoked key answers it unchanged.',
        params: ApiKeyParams,
        response: { 200: One, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const visible = await visibleKey(request, request.params.id);
      const row = await database.transaction(async (tx) => {
        const revoked = await revokeApiKey(tx, visible.id);
        if (!revoked) return visible;
        await audit(tx, auditActor(request), {
          action: 'delete',
          resourceType: RESOURCE,
          resourceId: revoked.id,
          tenant: revoked.brandIds.join(','),
        });
        return revoked;
      });
      return { api_key: present(row) };
    },
  );
}
