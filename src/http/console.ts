/**
 * The web console (docs/console.md) at /console: the static files `npm run build` makes from
 * console/ into dist/console, served by @fastify/static. Vite names every asset by its content
 * hash, so assets are cached for a year as immutable; index.html is revalidated on every load
 * (no-cache), so a new build shows at once. The pages need no token to load: they call the API
 * with the one their user signs in with, and their Content-Security-Policy lets them reach only
 * this origin.
 */
import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { Errors } from './errors.js';

/** dist/console beside dist/main.js; the same path from src/ (tests, `npm run dev`). */
export const CONSOLE_DIR = path.resolve(import.meta.dirname, '../../dist/console');

const IMMUTABLE = 'public, max-age=31536000, immutable';
/**
 * The Content-Security-Policy of a page labline serves (/console, /docs): everything from this
 * origin only, no plugins, no `<base>`, no form posting elsewhere, no framing by another site.
 * `script`, `style` and `font` are the page's sources beyond 'self' (a nonce, 'unsafe-inline', data:).
 */
export function pagePolicy({
  script = [],
  style = [],
  font = [],
}: { script?: string[]; style?: string[]; font?: string[] } = {}): string {
  return [
    "default-src 'self'",
    "connect-src 'self'",
    "img-src 'self' data:",
    ["font-src 'self'", ...font].join(' '),
    ["style-src 'self'", ...style].join(' '),
    ["script-src 'self'", ...script].join(' '),
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const CSP = pagePolicy();

export async function consoleRoutes(app: FastifyInstance, { root = CONSOLE_DIR }: { root?: string } = {}) {
  // Every route of this plugin is public: the pages hold no data, the API checks each call.
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, public: true };
  });
  if (!fs.existsSync(path.join(root, 'index.html'))) {
    const notBuilt = async () => {
      throw Errors.notFound('The console is not built: run `npm run build` (npm start does).');
    };
    app.get('/console', { schema: { hide: true } }, notBuilt);
    app.get('/console/*', { schema: { hide: true } }, notBuilt);
    return;
  }
  // The page's relative asset URLs need the trailing slash.
  app.get('/console', { schema: { hide: true } }, async (_request, reply) =>
    reply.redirect('/console/', 301),
  );
  await app.register(fastifyStatic, {
    root,
    prefix: '/console/',
    decorateReply: false,
    cacheControl: false,
    setHeaders(res, filePath) {
      const hashed = path.relative(root, filePath).startsWith(`assets${path.sep}`);
      res.setHeader('cache-control', hashed ? IMMUTABLE : 'no-cache');
      res.setHeader('x-content-type-options', 'nosniff');
      if (filePath.endsWith('.html')) {
        res.setHeader('content-security-policy', CSP);
        res.setHeader('referrer-policy', 'no-referrer');
      }
    },
  });
}
