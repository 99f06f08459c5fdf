/** Demo mode's personas (GET /v1/demo/personas, registered only in demo mode): null elsewhere. */
import { api, ApiError, call } from './api/client';
import type { Persona } from './api/types';

let personas: Promise<Persona[] | null> | null = null;

export function demoPersonas(): Promise<Persona[] | null> {
  personas ??= call(api.GET('/v1/demo/personas')).then(
    (answer) => answer.personas,
    (err: unknown) => {
      if (err instanceof ApiError && err.status === 404) return null;
      personas = null; // a passing failure: ask again next time
      throw err;
    },
  );
  return personas;
}
