/**
 * Demo-only routes, registered only in demo mode (config.ts: nothing configured, or DEMO=1):
 * the demo personas' tokens for the console's one-click sign-in (the same tokens `npm start`
 * prints), and, when the simulator plays Junction in-process (no JUNCTION_API_KEY), control of
 * it: move a demo order along its lifecycle the way Junction's sandbox does; the simulator then
 * sends its signed webhooks back to this service, so the order advances through the same path as
 * in production.
 */
import { Type } from 'typebox';
import type { App } from '../http/app-type.js';
import type { Database } from '../db/database.js';
import { principalOf, SCOPES } from '../http/auth.js';
import { Errors } from '../http/errors.js';
import { errorResponses } from '../http/schemas.js';
import { FINAL_STATUSES, LifecycleError, type Simulator } from '../junction/simulator/index.js';
import { findOrder, orderEvents } from '../lab-orders/orders-repository.js';
import { toDetail } from '../lab-orders/presenters.js';
import { LabOrderDetail, OrderIdParams } from '../lab-orders/schemas.js';
import { demoTokens, type DemoTokens } from './banner.js';

const COMPLETED = 'completed.walk_in_test.completed';

const PERSONAS: { persona: keyof DemoTokens; label: string; description: string }[] = [
  {
    persona: 'owner',
    label: 'Workspace owner',
    description: 'Demo Clinic: everything, including coupons, prices and members',
  },
  {
    persona: 'staff',
    label: 'Staff',
    description: 'Demo Clinic: books and runs visits (labs.run), registers clients (clients.write)',
  },
  {
    persona: 'customer',
    label: 'Customer',
    description: 'An end customer: no part in the workspace surface',
  },
  {
    persona: 'admin',
    label: 'Platform admin',
    description: 'Creates workspaces and catalog tests; does not act inside workspaces',
  },
  {
    persona: 'clinical',
    label: 'Clinical operator',
    description: 'demo-brand: lab orders (read, write, admin)',
  },
];

const PersonaList = Type.Object({
  personas: Type.Array(
    Type.Object({
      persona: Type.Enum(
        PERSONAS.map((p) => p.persona),
        { type: 'string' },
      ),
      label: Type.String(),
      description: Type.String(),
      token: Type.String({ description: 'A bearer token for this persona, as the banner prints it' }),
    }),
  ),
});

export async function demoRoutes(
  app: App,
  {
    database,
    simulator,
    jwtSecret,
    maxTokenLifetimeHours,
  }: {
    database: Database;
    simulator: Simulator | null;
    jwtSecret: string | null;
    maxTokenLifetimeHours: number;
  },
) {
  app.get(
    '/v1/demo/personas',
    {
      config: { public: true },
      schema: {
        tags: ['Demo'],
        operationId: 'listDemoPersonas',
        summary:
          "Demo mode only: a bearer token per demo persona, for the console's one-click sign-in (no token needed)",
        response: { 200: PersonaList, ...errorResponses(404) },
      },
    },
    async () => {
      if (jwtSecret === null)
        throw Errors.notFound(
          'Demo personas need the HS256 secret; this service verifies tokens by JWKS only.',
        );
      const tokens = await demoTokens(jwtSecret, maxTokenLifetimeHours);
      return { personas: PERSONAS.map((p) => ({ ...p, token: tokens[p.persona] })) };
    },
  );

  if (simulator === null) return;
  app.post(
    '/v1/demo/lab-orders/:id/advance',
    {
      config: { scope: SCOPES.labOrdersWrite },
      schema: {
        tags: ['Demo'],
        operationId: 'advanceDemoLabOrder',
        summary: 'Demo mode only: move an order on at the simulated Junction (default: to completed)',
        params: OrderIdParams,
        querystring: Type.Object({
          final_status: Type.Optional(
            Type.Enum([...FINAL_STATUSES], { type: 'string', description: `default ${COMPLETED}` }),
          ),
        }),
        response: { 200: LabOrderDetail, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const order = await findOrder(database.db, request.params.id);
      if (!order || (principal.brandIds !== null && !principal.brandIds.includes(order.brandId))) {
        throw Errors.notFound(`No lab order ${request.params.id}.`);
      }
      if (!order.junctionOrderId) throw Errors.orderNotSubmitted(order.status);
      try {
        simulator.advance(order.junctionOrderId, request.query.final_status ?? COMPLETED);
      } catch (err) {
        if (err instanceof LifecycleError) throw Errors.invalidTransition(err.message);
        throw err;
      }
      // The webhooks come back to this service; answer once they have been applied.
      await simulator.webhooksSettled();
      const fresh = (await findOrder(database.db, order.id)) ?? order;
      return toDetail(fresh, await orderEvents(database.db, order.id));
    },
  );
}
