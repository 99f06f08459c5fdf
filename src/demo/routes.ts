/**
 * Demo-only control of the in-process Junction simulator: move a demo order along its lifecycle
 * the way Junction's sandbox does. The simulator then sends its signed webhooks back to this
 * service, so the order advances through the same path as in production. Registered only when
 * the simulator plays Junction (no JUNCTION_API_KEY).
 */
import { Type } from 'typebox';
import type { App } from '../http/app-type.js';
import type { Database } from '../db/database.js';
import { principalOf, SCOPES } from '../http/auth.js';
import { Errors, HttpError } from '../http/errors.js';
import { errorResponses } from '../http/schemas.js';
import { FINAL_STATUSES, LifecycleError, type Simulator } from '../junction/simulator/index.js';
import { findOrder, orderEvents } from '../lab-orders/orders-repository.js';
import { toDetail } from '../lab-orders/presenters.js';
import { LabOrderDetail, OrderIdParams } from '../lab-orders/schemas.js';

const COMPLETED = 'completed.walk_in_test.completed';

export async function demoRoutes(app: App, { database, simulator }: { database: Database; simulator: Simulator }) {
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
          final_status: Type.Optional(Type.Enum([...FINAL_STATUSES], { type: 'string', description: `default ${COMPLETED}` })),
        }),
        response: { 200: LabOrderDetail, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const order = await findOrder(database.db, request.params.id);
      if (!order || (principal.brandIds !== null && !principal.brandIds.includes(order.brandId))) {
        throw Errors.notFound(`No lab order ${request.params.id}.`);
      }
      if (!order.junctionOrderId) throw new HttpError(409, 'order_not_submitted', `The order is ${order.status}.`);
      try {
        simulator.advance(order.junctionOrderId, request.query.final_status ?? COMPLETED);
      } catch (err) {
        if (err instanceof LifecycleError) throw new HttpError(409, 'invalid_transition', err.message);
        throw err;
      }
      // The webhooks come back to this service; answer once they have been applied.
      await simulator.webhooksSettled();
      const fresh = (await findOrder(database.db, order.id)) ?? order;
      return toDetail(fresh, await orderEvents(database.db, order.id));
    },
  );
}
