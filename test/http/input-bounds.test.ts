/**
 * Every text a client can send is bounded by its schema: each string in each route's body,
 * query, path parameters and headers (as /openapi.json documents them) has a maxLength, an
 * enum or const, or the uuid format. A 35 KB name once passed the schema, reached Junction and
 * broke the error path; this test keeps any new route from doing the same. Likewise every number
 * has a minimum and a maximum (its column's range): an unbounded result value once took `1e400`
 * (Infinity), was stored as null and made the workspace's lists answer 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';

type Schema = Record<string, unknown>;

function unboundedStrings(schema: unknown, path: string, out: string[], seen = new Set<unknown>()): void {
  if (!schema || typeof schema !== 'object' || seen.has(schema)) return;
  seen.add(schema);
  const s = schema as Schema;
  const types = Array.isArray(s.type) ? s.type : [s.type];
  if (
    types.includes('string') &&
    s.maxLength === undefined &&
    s.enum === undefined &&
    s.const === undefined &&
    s.format !== 'uuid'
  ) {
    out.push(path);
  }
  if (
    (types.includes('number') || types.includes('integer')) &&
    s.enum === undefined &&
    s.const === undefined &&
    (s.minimum === undefined || s.maximum === undefined)
  ) {
    out.push(`${path} (number)`);
  }
  for (const [key, value] of Object.entries(s)) {
    if (key === 'properties' && value && typeof value === 'object') {
      for (const [name, sub] of Object.entries(value)) unboundedStrings(sub, `${path}.${name}`, out, seen);
    } else if (['items', 'additionalProperties', 'not'].includes(key)) {
      unboundedStrings(value, `${path}[]`, out, seen);
    } else if (['anyOf', 'oneOf', 'allOf', 'prefixItems'].includes(key) && Array.isArray(value)) {
      value.forEach((sub) => unboundedStrings(sub, path, out, seen));
    }
  }
}

describe('input bounds', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  it('every string a route accepts has a maximum length, every number a minimum and a maximum', async () => {
    const doc = (await t.request('GET', '/openapi.json')).body as {
      paths: Record<string, Record<string, Schema>>;
    };
    const unbounded: string[] = [];
    let checked = 0;
    for (const [route, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const where = `${method.toUpperCase()} ${route}`;
        for (const p of (op.parameters as Schema[] | undefined) ?? []) {
          checked++;
          unboundedStrings(p.schema, `${where} ${String(p.in)}:${String(p.name)}`, unbounded);
        }
        const body = (op.requestBody as { content?: Record<string, { schema?: unknown }> } | undefined)
          ?.content;
        for (const media of Object.values(body ?? {})) {
          checked++;
          unboundedStrings(media.schema, `${where} body`, unbounded);
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
    expect(unbounded).toEqual([]);
  });
});
