import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { isDatabaseUnavailable, PG_QUERY_CANCELED, pgCode } from '../db/errors.js';
import { Errors, HttpError } from './errors.js';
import { toDetails } from './validation.js';

export const BODY_LIMIT = 1024 * 1024;

/** Turns anything thrown into the catalogue's `{error, message, details?}`; 500s keep their detail in the log. */
export function toHttpError(err: unknown, request: FastifyRequest): HttpError {
  if (err instanceof HttpError) return err;
  const e = err as FastifyError & { validationContext?: string };
  if (e.validation) {
    const where = e.validationContext ?? 'body';
    const details = toDetails(e.validation as never, where === 'body' ? '' : `${where}:`);
    const first = details[0];
    return Errors.validation(
      first ? `Invalid ${where}: ${first.path} ${first.message}` : `Invalid ${where}.`,
      details,
    );
  }
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return Errors.unsupportedMediaType(request.headers['content-type']);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return Errors.payloadTooLarge(BODY_LIMIT);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return Errors.malformedJson('The request body is empty but Content-Type is application/json.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return Errors.malformedJson('The request body is not valid JSON.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return Errors.badRequest('Content-Length does not match the body.');
    case 'FST_ERR_BAD_URL':
      return Errors.badRequest('The request URL is malformed.');
  }
  if (err instanceof SyntaxError && e.statusCode === 400) {
    return Errors.malformedJson('The request body is not valid JSON.');
  }
  if (pgCode(err) === PG_QUERY_CANCELED) {
    return Errors.unavailable('The database did not answer in time; retry shortly.');
  }
  if (isDatabaseUnavailable(err)) {
    return Errors.unavailable('The database is unavailable; retry shortly.');
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return Errors.badRequest(e.message, e.statusCode);
  }
  return Errors.internal();
}

export function sendError(reply: FastifyReply, error: HttpError): FastifyReply {
  if (error.headers) void reply.headers(error.headers);
  return reply.code(error.statusCode).type('application/json; charset=utf-8').send(error.toBody());
}

export const errorHandlerPlugin = fp(
  async function errorHandler(app: FastifyInstance) {
    app.setErrorHandler((err, request, reply) => {
      const httpError = toHttpError(err, request);
      if (httpError.statusCode >= 500) {
        // The logger's `err` serializer keeps only fields that quote no data (describeError).
        request.log.error({ err, error_code: httpError.code }, 'request failed');
      }
      return sendError(reply, httpError);
    });
    app.setNotFoundHandler((request, reply) =>
      sendError(reply, Errors.routeNotFound(request.method, request.url)),
    );
  },
  { name: 'labline-errors' },
);
