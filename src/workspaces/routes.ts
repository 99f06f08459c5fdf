/** The workspace management routes, under /v1 and the /api/v1 alias. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Database } from '../db/database.js';
import { catalogRoutes } from './catalog-routes.js';
import { clientsRoutes } from './clients-routes.js';
import { couponsRoutes } from './coupons-routes.js';
import { SURFACES } from './http.js';
import { membersRoutes } from './members-routes.js';
import { referralsRoutes } from './referrals-routes.js';
import { workspacesRoutes } from './workspaces-routes.js';

export const workspaceManagementRoutes: FastifyPluginAsyncTypebox<{ database: Database }> = async (
  app,
  { database },
) => {
  for (const surface of SURFACES) {
    for (const routes of [
      workspacesRoutes,
      membersRoutes,
      clientsRoutes,
      referralsRoutes,
      catalogRoutes,
      couponsRoutes,
    ]) {
      await app.register(routes, { prefix: surface.prefix, database, surface });
    }
  }
};
