/**
 * The one way the console reaches the service: openapi-fetch over the types generated from the
 * service's own /openapi.json (schema.d.ts), with the signed-in token on every call. Every
 * answer that is not 2xx becomes an ApiError carrying the API's own `error` and `message`; a 401
 * also ends the session that sent the refused token (once), so the sign-in page comes back with
 * that message.
 */
import createClient from 'openapi-fetch';
import type { paths } from './schema';
import { session } from '../session';

export const api = createClient<paths>({ baseUrl: location.origin });

/** The token each answer's request carried, so that a 401 ends that sign-in and no later one. */
const sentWith = new WeakMap<Response, string>();

api.use({
  onRequest({ request }) {
    const token = session.token();
    if (token !== null) request.headers.set('authorization', `Bearer ${token}`);
    return request;
  },
  onResponse({ request, response }) {
    const token = request.headers.get('authorization')?.replace(/^Bearer /, '');
    if (token) sentWith.set(response, token);
  },
});

export interface FieldDetail {
  /** where in the body, e.g. `/phone` */
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** a 400's field errors (`details`), none otherwise */
    readonly details: FieldDetail[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

function messageOf(
  body: unknown,
  response: Response,
): { code: string; message: string; details: FieldDetail[] } {
  if (typeof body === 'object' && body !== null) {
    const { error, message, details } = body as { error?: unknown; message?: unknown; details?: unknown };
    if (typeof message === 'string')
      return {
        code: typeof error === 'string' ? error : 'error',
        message,
        details: Array.isArray(details)
          ? (details as unknown[]).filter(
              (d): d is FieldDetail =>
                typeof d === 'object' &&
                d !== null &&
                typeof (d as FieldDetail).path === 'string' &&
                typeof (d as FieldDetail).message === 'string',
            )
          : [],
      };
  }
  return {
    code: 'error',
    message: `The service answered ${response.status} ${response.statusText}.`,
    details: [],
  };
}

/** The answer's data, or an ApiError with the API's message. */
export async function call<T>(request: Promise<Answer<T>>): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await request;
  } catch (err) {
    throw new ApiError(0, 'network', `The service did not answer (${(err as Error).message}).`);
  }
  const { data, error, response } = answer;
  if (response.ok) return data as T;
  const { code, message, details } = messageOf(error, response);
  if (response.status === 401) session.expire(message, sentWith.get(response) ?? null);
  throw new ApiError(response.status, code, message, details);
}
