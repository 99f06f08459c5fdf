import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { principalOf } from './auth.js';
import { errorResponses } from './schemas.js';

/** `GET /v1/me`: what the service reads from the caller's token, to debug auth set-ups. */
export async function meRoutes(app: FastifyInstance) {
  app.get(
    '/v1/me',
    {
      schema: {
        tags: ['Operations'],
        operationId: 'getCurrentPrincipal',
        summary: 'The principal, scopes, brands and persona of the bearer token',
        response: {
          200: Type.Object({
            sub: Type.String(),
            scopes: Type.Array(Type.String()),
            brand_ids: Type.Union([Type.Array(Type.String()), Type.Null()]),
            persona: Type.Union([Type.String(), Type.Null()]),
            name: Type.Union([Type.String(), Type.Null()], { description: 'The token’s `name` claim' }),
            email: Type.Union([Type.String(), Type.Null()], {
              description: 'The token’s `email` claim, lowercased',
            }),
            email_verified: Type.Boolean({ description: 'The token’s `email_verified` claim is `true`' }),
          }),
          ...errorResponses(401),
        },
      },
    },
    async (request) => {
      const p = principalOf(request);
      return {
        sub: p.sub,
        scopes: [...p.scopes].sort(),
        brand_ids: p.brandIds ? [...p.brandIds] : null,
        persona: p.persona,
        name: p.name ?? null,
        email: p.email ?? null,
        email_verified: p.emailVerified ?? false,
      };
    },
  );
}
