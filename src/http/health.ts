import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Database } from '../db/database.js';
import { Errors } from './errors.js';
import { errorResponses } from './schemas.js';

const Status = Type.Object({ status: Type.String() });

export async function healthRoutes(app: FastifyInstance, { database }: { database: Database }) {
  app.get(
    '/healthz',
    {
      config: { public: true },
      schema: { tags: ['Operations'], summary: 'The process is up', security: [], response: { 200: Status } },
    },
    async () => ({ status: 'ok' }),
  );
  app.get(
    '/readyz',
    {
      config: { public: true },
      schema: {
        tags: ['Operations'],
        summary: 'The database answers',
        security: [],
        response: { 200: Status, ...errorResponses(503) },
      },
    },
    async (request) => {
      try {
        await database.ping();
      } catch (err) {
        request.log.warn({ err }, 'readiness check failed');
        throw Errors.unavailable('The database is not reachable.');
      }
      return { status: 'ready' };
    },
  );
}
