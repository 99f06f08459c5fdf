import { randomBytes, randomUUID } from 'node:crypto';
import swagger, { type SwaggerTransform } from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { pagePolicy } from './console.js';

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

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Examples for the reference: by parameter or property name (`byName`), and whole request bodies by
 * operation id (`bodies`). The app hands in the demo's (src/demo/examples.ts).
 */
export interface DocsExamples {
  byName: Record<string, unknown>;
  bodies: Record<string, unknown>;
}

/** Gives string enums their type (a reference then shows "string", one of …) and named properties their example. */
function polishSchema(schema: unknown, EXAMPLES: Record<string, unknown>): void {
  if (Array.isArray(schema)) return schema.forEach((s) => polishSchema(s, EXAMPLES));
  if (!isObject(schema)) return;
  if (
    Array.isArray(schema.enum) &&
    schema.type === undefined &&
    schema.enum.every((v) => typeof v === 'string')
  ) {
    schema.type = 'string';
  }
  if (isObject(schema.properties)) {
    for (const [name, property] of Object.entries(schema.properties)) {
      if (name in EXAMPLES && isObject(property)) {
        property.example = EXAMPLES[name];
        delete property.examples;
      }
    }
  }
  for (const value of Object.values(schema)) polishSchema(value, EXAMPLES);
}

/**
 * The document as the reference shows it: examples from the demo, `servers` = where it was asked
 * for, and a fresh Idempotency-Key in each operation that takes one.
 */
function documentFor(base: Json, origin: string, examples: DocsExamples): Json {
  const { byName: EXAMPLES, bodies: BODY_EXAMPLES } = examples;
  const doc = structuredClone(base);
  doc.servers = [{ url: origin, description: 'this labline' }];
  for (const operations of Object.values(isObject(doc.paths) ? doc.paths : {})) {
    for (const operation of Object.values(isObject(operations) ? operations : {})) {
      if (!isObject(operation)) continue;
      for (const parameter of Array.isArray(operation.parameters)
        ? (operation.parameters as unknown[])
        : []) {
        if (!isObject(parameter)) continue;
        if (parameter.in === 'header' && parameter.name === 'idempotency-key')
          parameter.example = randomUUID();
        else if (typeof parameter.name === 'string' && parameter.name in EXAMPLES)
          parameter.example = EXAMPLES[parameter.name];
      }
      const body =
        isObject(operation.requestBody) && isObject(operation.requestBody.content)
          ? operation.requestBody.content
          : {};
      const json = body['application/json'];
      const example =
        typeof operation.operationId === 'string' ? BODY_EXAMPLES[operation.operationId] : undefined;
      if (isObject(json) && example !== undefined) json.example = example;
    }
  }
  polishSchema(doc.paths, EXAMPLES);
  return doc;
}

async function scalarReference(bearerToken: string | null): Promise<FastifyInstance> {
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
      ...(bearerToken
        ? {
            authentication: {
              preferredSecurityScheme: 'bearerAuth',
              securitySchemes: { bearerAuth: { token: bearerToken } },
            },
          }
        : {}),
    },
  });
  await inner.ready();
  return inner;
}

/**
 * The reference's page is blank until its script (some 3 MB) has loaded and the document has been
 * fetched: say so meanwhile (the script replaces what is inside #app when it mounts), and fetch
 * the document alongside the script rather than after it. test/browser/docs.test.ts checks
 * that the page says it is loading and that the reference then replaces the message.
 */
function withLoadingState(page: string): string {
  return page
    .replace('<title>Scalar API Reference</title>', '<title>labline API reference</title>')
    .replace(
      '</head>',
      '  <link rel="preload" href="/openapi.json" as="fetch" crossorigin="anonymous" />\n  </head>',
    )
    .replace(
      '<div id="app"></div>',
      '<div id="app"><p role="status" style="font: 16px/1.5 system-ui, sans-serif; margin: 2rem">' +
        'Loading the API reference…</p></div>' +
        '<noscript><p>The API reference needs JavaScript; the OpenAPI document is at <a href="/openapi.json">/openapi.json</a>.</p></noscript>',
    );
}

/**
 * The reference page's Content-Security-Policy: the console's (src/http/console.ts), with what
 * Scalar's page needs on top. Its one inline script (the configuration, which in demo mode holds
 * the demo token) runs by a nonce made for each answer; Scalar's components set inline styles.
 */
const referenceCsp = (nonce: string): string =>
  pagePolicy({ script: [`'nonce-${nonce}'`], style: ["'unsafe-inline'"], font: ['data:'] });

/** Every script element of the page carries the answer's nonce. */
function withNonce(page: string, nonce: string): string {
  return page.replace(/<script(?=[\s>])/g, `<script nonce="${nonce}"`);
}

export interface DocsOptions {
  examples: DocsExamples;
  /** Demo mode: a token the reference is signed in with from the start (made on first use). */
  bearerToken?: () => Promise<string>;
}

/** OpenAPI 3.1 from the route schemas, served at /openapi.json, and an interactive reference at /docs. */
export const docsPlugin = fp(
  async function docs(app: FastifyInstance, options: DocsOptions) {
    await app.register(swagger, {
      transform: documentIdempotencyKey,
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'labline',
          version: '0.1.0',
          description:
            'Clinical lab orders through the Junction lab network, and workspace lab visits with pricing and coupons. ' +
            'Every route except health, metrics, docs and the Svix-signed Junction webhook needs `Authorization: Bearer <JWT>`, ' +
            'or `Authorization: Bearer lk_…` with an API key (docs/api-keys.md).',
        },
        components: {
          securitySchemes: {
            bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
            apiKey: {
              type: 'http',
              scheme: 'bearer',
              bearerFormat: 'lk_…',
              description:
                'An API key (`POST /v1/api-keys`, or `npm run key -- create`), accepted wherever a JWT is',
            },
          },
        },
        security: [{ bearerAuth: [] }, { apiKey: [] }],
        tags: [
          { name: 'Clinical lab orders', description: 'Lab panel orders fulfilled by Junction' },
          { name: 'Workspace lab visits', description: 'Priced lab visits booked by clinic staff' },
          {
            name: 'Workspace management',
            description: 'Workspaces, members, clients, referrals, tests, coupons',
          },
          {
            name: 'Events',
            description: 'Every change of a lab order or a lab visit, kept 30 days (docs/events.md)',
          },
          {
            name: 'Webhooks (clinical)',
            description: "Signed events pushed to a brand's URLs (docs/webhooks.md)",
          },
          {
            name: 'Webhooks (workspace)',
            description: "Signed events pushed to a workspace's URLs (docs/webhooks.md)",
          },
          { name: 'API keys', description: 'Long-lived credentials of machine clients (docs/api-keys.md)' },
          { name: 'Operations', description: 'Health and readiness' },
        ],
      },
    });
    // Browsers ask for it on every page; an empty answer keeps their consoles clean.
    app.get('/favicon.ico', { config: { public: true }, schema: { hide: true } }, async (_request, reply) =>
      reply.code(204).send(),
    );
    app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async (request) =>
      documentFor(
        app.swagger() as unknown as Json,
        `${request.protocol}://${request.host}`,
        options.examples,
      ),
    );

    // The reference page (Scalar) is loaded on its first request: replicas nobody browses do not
    // carry its 4 MB bundle. It runs in an inner Fastify instance whose answers are passed on.
    let reference: Promise<FastifyInstance> | null = null;
    const serveReference = async (request: FastifyRequest, reply: FastifyReply) => {
      reference ??= (options.bearerToken ? options.bearerToken() : Promise.resolve(null)).then(
        scalarReference,
      );
      const inner = await reference;
      const res = await inner.inject({ method: 'GET', url: request.url });
      const html = String(res.headers['content-type']).startsWith('text/html');
      for (const [name, value] of Object.entries(res.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name) && !(html && name === 'etag'))
          void reply.header(name, value);
      }
      if (!html) return reply.code(res.statusCode).send(res.rawPayload);
      const nonce = randomBytes(16).toString('base64');
      void reply
        .header('content-security-policy', referenceCsp(nonce))
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer');
      return reply.code(res.statusCode).send(withNonce(withLoadingState(res.payload), nonce));
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
