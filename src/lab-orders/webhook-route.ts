/**
 * POST /v1/webhooks/junction: Junction's `labtest.order.created|updated` events, Svix-signed.
 * The signature is checked over the raw body (so this route parses JSON itself), stale
 * timestamps are refused, each Svix message id is applied once across all replicas (its row
 * commits with the change), and an order never moves backwards. Answers fast: one transaction.
 */
import { lt } from 'drizzle-orm';
import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { App } from '../http/app-type.js';
import type { Database } from '../db/database.js';
import { Errors } from '../http/errors.js';
import type { Metrics } from '../http/metrics.js';
import type { JobQueue } from '../jobs/queue.js';
import { errorResponses } from '../http/schemas.js';
import { JunctionWebhookError, verifyJunctionWebhook } from '../junction/webhooks.js';
import { applyJunctionOrder, findOrderForJunction } from './orders-repository.js';
import { webhookMessages } from './tables.js';

/** Svix retries a message for about three days; its id is kept well past that. */
const KEEP_MESSAGE_IDS_DAYS = 30;

export async function purgeWebhookMessages(database: Database): Promise<number> {
  const deleted = await database.db
    .delete(webhookMessages)
    .where(lt(webhookMessages.receivedAt, new Date(Date.now() - KEEP_MESSAGE_IDS_DAYS * 86_400_000)))
    .returning({ id: webhookMessages.svixId });
  return deleted.length;
}

const WebhookAck = Type.Object({
  status: Type.Enum(['applied', 'stale', 'duplicate', 'unknown_order', 'ignored'], {
    type: 'string',
    description:
      'applied: the order moved on; stale: older than what is known; duplicate: this svix-id was seen; ' +
      'unknown_order: no such order here (acknowledged); ignored: not an order event',
  }),
});

/**
 * A wrong JUNCTION_WEBHOOK_SECRET refuses every webhook and orders stop moving, with nothing but
 * access lines in the log: say so, naming the variable (never a secret), at most once a minute
 * per process so that a flood of refusals is not a flood of lines.
 */
function badSignatureWarning(): (log: FastifyBaseLogger) => void {
  const EVERY_MS = 60_000;
  let lastAt = -Infinity;
  let refused = 0;
  return (log) => {
    refused++;
    if (Date.now() - lastAt < EVERY_MS) return;
    lastAt = Date.now();
    log.warn(
      { refused_since_last_warning: refused, metric: 'junction_webhooks_total{outcome="bad_signature"}' },
      "Junction webhook refused: its signature does not match JUNCTION_WEBHOOK_SECRET, so orders do not move. Set it to this endpoint's signing secret in Junction's dashboard (at most one such warning a minute)",
    );
    refused = 0;
  };
}

export async function junctionWebhookRoutes(
  app: App,
  {
    database,
    metrics,
    jobs,
    secret,
  }: { database: Database; metrics: Metrics; jobs: JobQueue; secret: string },
) {
  // The signature covers the exact bytes: keep the body as text for this route only.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  const warnBadSignature = badSignatureWarning();
  jobs.periodic('junction-webhooks.purge', 3600, async () => {
    await purgeWebhookMessages(database);
  });

  app.post(
    '/v1/webhooks/junction',
    {
      config: { public: true },
      schema: {
        tags: ['Clinical lab orders'],
        operationId: 'receiveJunctionWebhook',
        summary: "Junction's order webhooks (Svix-signed; register this URL in Junction's dashboard)",
        security: [],
        response: { 200: WebhookAck, ...errorResponses(400, 401, 413, 415) },
      },
    },
    async (request, reply: FastifyReply) => {
      let event;
      try {
        event = verifyJunctionWebhook(secret, request.body as string | undefined, request.headers);
      } catch (err) {
        if (err instanceof JunctionWebhookError) {
          metrics.webhooks.inc({ outcome: err.failure });
          if (err.failure === 'bad_signature') warnBadSignature(request.log);
          if (err.failure === 'malformed_payload') throw Errors.malformedWebhook(err.message);
          throw Errors.invalidSignature(err.message);
        }
        throw err;
      }
      const ack = (status: string) => {
        metrics.webhooks.inc({ outcome: status });
        return reply.code(200).send({ status });
      };
      // verifyJunctionWebhook parses the order of labtest.order.* events only.
      if (!event.order) return ack('ignored');
      const order = event.order;
      if (order.undocumentedStatus) {
        // The status's name only (never patient data): a status Junction added since labline's table.
        request.log.warn(
          {
            junction_order_id: order.id,
            junction_status: order.statusDetail.slice(0, 200),
            placed_as: order.status,
          },
          'Junction sent an order status labline does not know; kept as sent (docs/junction.md)',
        );
      }

      const outcome = await database.transaction(async (tx) => {
        const fresh = await tx
          .insert(webhookMessages)
          .values({ svixId: event.messageId, eventType: event.eventType })
          .onConflictDoNothing()
          .returning({ id: webhookMessages.svixId });
        if (fresh.length === 0) return 'duplicate';
        const { row: current, mismatch } = await findOrderForJunction(tx, order);
        if (!current) return mismatch ? 'mismatch' : 'unknown_order';
        const { changed } = await applyJunctionOrder(tx, current, order);
        return changed ? 'applied' : 'stale';
      });
      if (outcome === 'mismatch') {
        // Ids only: which Junction order named which local order, never patient data.
        request.log.warn(
          { junction_order_id: order.id, passthrough: order.passthrough, svix_id: event.messageId },
          "webhook's passthrough names a local order of another patient or one already placed; acknowledged without change",
        );
        return ack('unknown_order');
      }
      if (outcome === 'unknown_order') {
        request.log.warn(
          { junction_order_id: order.id, svix_id: event.messageId },
          'webhook for an unknown order acknowledged',
        );
      }
      return ack(outcome);
    },
  );
}
