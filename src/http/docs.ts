import swagger, { type SwaggerTransform } from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/**
 * The Idempotency-Key header is handled by the idempotency plugin (its own checks and errors),
 * so route schemas do not declare it; the document shows it from the route's `config.idempotency`.
 */
const documentIdempotencyKey: SwaggerTransform = ({ schema, url, route }) => {
  const mode = route.config?.idempotency;
  if (!mode) return { schema, url };
  const headers = {
    type: 'object',
    properties: {
      'idempotency-key': {
        type: 'string',
        minLength: 1,
        maxLength: 255,
        description:
          'Unique per attempt of this request (1–255 printable ASCII characters). A retry with the same key and body ' +
          'replays the first answer with `Idempotent-Replayed: true`; see docs/clinical-lab-orders.md on idempotency.',
      },
    },
    required: mode === 'required' ? ['idempotency-key'] : [],
  };
  return { schema: { ...schema, headers }, url };
};

const HOP_BY_HOP = new Set(['connection', 'content-length', 'keep-alive', 'transfer-encoding']);

async function scalarReference(): Promise<FastifyInstance> {
  const { default: scalar } = await import('@scalar/fastify-api-reference');
  const inner = Fastify({ logger: false });
  await inner.register(scalar, {
    routePrefix: '/docs',
    configuration: {
      url: '/openapi.json',
      title: 'labline API',
      // Self-contained: no web fonts, telemetry or hosted (AI, MCP, deploy) features to call out to.
      withDefaultFonts: false,
      telemetry: false,
      showDeveloperTools: 'never',
      // The bundle knows `agent` (its "Ask AI" box) though this version's types do not.
      ...({ agent: { disabled: true } } as object),
    },
  });
  await inner.ready();
  return inner;
}

/** OpenAPI 3.1 from the route schemas, served at /openapi.json, and an interactive reference at /docs. */
export const docsPlugin = fp(
  async function docs(app: FastifyInstance) {
    await app.register(swagger, {
      transform: documentIdempotencyKey,
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'labline',
          version: '0.1.0',
          description:
            'Clinical lab orders through the Junction lab network, and workspace lab visits with pricing and coupons. ' +
            'Every route except health, metrics, docs and the Svix-signed Junction webhook needs `Authorization: Bearer <JWT>`.',
        },
        components: {
          securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
        },
        security: [{ bearerAuth: [] }],
        tags: [
          { name: 'Clinical lab orders', description: 'Lab panel orders fulfilled by Junction' },
          { name: 'Workspace lab visits', description: 'Priced lab visits booked by clinic staff' },
          { name: 'Workspace management', description: 'Workspaces, members, clients, referrals, tests, coupons' },
          { name: 'Operations', description: 'Health and readiness' },
        ],
      },
    });
    // Browsers ask for it on every page; an empty answer keeps their consoles clean.
    app.get('/favicon.ico', { config: { public: true }, schema: { hide: true } }, async (_request, reply) =>
      reply.code(204).send(),
    );
    app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());

    // The reference page (Scalar) is loaded on its first request: replicas nobody browses do not
    // carry its 4 MB bundle. It runs in an inner Fastify instance whose answers are passed on.
    let reference: Promise<FastifyInstance> | null = null;
    const serveReference = async (request: FastifyRequest, reply: FastifyReply) => {
      reference ??= scalarReference();
      const inner = await reference;
      const res = await inner.inject({ method: 'GET', url: request.url });
      for (const [name, value] of Object.entries(res.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name)) void reply.header(name, value);
      }
      return reply.code(res.statusCode).send(res.rawPayload);
    };
    const publicHidden = { config: { public: true }, schema: { hide: true } };
    app.get('/docs', publicHidden, serveReference);
    app.get('/docs/*', publicHidden, serveReference);
    app.addHook('onClose', async () => {
      if (reference) await (await reference).close();
    });
  },
  { name: 'labline-docs' },
);
