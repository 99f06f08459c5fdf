/**
 * fast-check arbitraries built from a route's own JSON Schema (as /openapi.json documents it):
 * `valueFor` makes values the schema accepts, `mutate` breaks one place of such a value in the
 * ways clients (and attackers) do. Covers the keywords our schemas use; an unknown keyword is an
 * error here, so a new kind of schema cannot silently go ungenerated.
 */
import fc from 'fast-check';

export type Schema = Record<string, unknown>;

/** Ids the demo seeds, so that generated requests also reach handlers past their 404s. */
export interface KnownIds {
  /** strings to mix into any bounded string field (object ids, brand ids) */
  strings: string[];
  /** integers to mix into integer fields (catalog test ids) */
  integers: number[];
}

const KNOWN_KEYWORDS = new Set([
  'type',
  'properties',
  'additionalProperties',
  'required',
  'minLength',
  'maxLength',
  'description',
  'example',
  'examples',
  'minimum',
  'maximum',
  'default',
  'enum',
  'items',
  'uniqueItems',
  'anyOf',
  'format',
  'pattern',
  'minProperties',
  'minItems',
  'maxItems',
  'title',
  'const',
  'nullable',
]);

const day = (d: Date) => d.toISOString().slice(0, 10);
const dates = (max: Date) => fc.date({ min: new Date('1900-01-01T00:00:00Z'), max, noInvalidDate: true });

function stringFor(s: Schema, known: KnownIds): fc.Arbitrary<string> {
  const min = (s.minLength as number | undefined) ?? 0;
  const max = Math.min((s.maxLength as number | undefined) ?? 64, 200);
  const fits = (v: string) => v.length >= min && v.length <= max;
  switch (s.format) {
    case 'uuid':
      return fc.uuid();
    case 'email':
      return fc.oneof(fc.constantFrom('ada@example.com', 'x@y.io'), fc.emailAddress()).filter(fits);
    case 'date-time':
      return dates(new Date('2100-01-01T00:00:00Z')).map((d) => d.toISOString());
    case 'past-date':
      return dates(new Date(Date.now() - 2 * 86_400_000)).map(day);
    case 'date':
      return dates(new Date('2100-01-01T00:00:00Z')).map(day);
    case undefined:
      break;
    default:
      throw new Error(`schema-arbitrary: no generator for format ${String(s.format)}`);
  }
  if (typeof s.pattern === 'string') return fc.stringMatching(new RegExp(s.pattern)).filter(fits);
  const knownFits = known.strings.filter(fits);
  const any = fc.string({ minLength: min, maxLength: Math.min(max, 40), unit: 'grapheme' }).filter(fits);
  return knownFits.length > 0 ? fc.oneof(fc.constantFrom(...knownFits), any) : any;
}

function numberFor(s: Schema, integer: boolean, known: KnownIds): fc.Arbitrary<number> {
  const min = (s.minimum as number | undefined) ?? -1_000_000;
  const max = (s.maximum as number | undefined) ?? 1_000_000;
  if (integer) {
    const knownFits = known.integers.filter((n) => n >= min && n <= max);
    const any = fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31) });
    return knownFits.length > 0 ? fc.oneof(fc.constantFrom(...knownFits), any) : any;
  }
  return fc
    .double({ min, max, noNaN: true, noDefaultInfinity: true })
    .map((n) => Math.round(n * 100) / 100)
    .filter((n) => n >= min && n <= max);
}

/** Values the schema accepts. */
export function valueFor(schema: Schema, known: KnownIds): fc.Arbitrary<unknown> {
  for (const key of Object.keys(schema)) {
    if (!KNOWN_KEYWORDS.has(key)) throw new Error(`schema-arbitrary: no generator for keyword ${key}`);
  }
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  if (Array.isArray(schema.anyOf))
    return fc.oneof(...(schema.anyOf as Schema[]).map((s) => valueFor(s, known)));
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string | undefined];
  if (types.length > 1) return fc.oneof(...types.map((type) => valueFor({ ...schema, type }, known)));
  switch (types[0]) {
    case 'string':
      return stringFor(schema, known);
    case 'integer':
      return numberFor(schema, true, known);
    case 'number':
      return numberFor(schema, false, known);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const items = valueFor((schema.items as Schema | undefined) ?? {}, known);
      const minLength = (schema.minItems as number | undefined) ?? 0;
      const maxLength = Math.min((schema.maxItems as number | undefined) ?? 4, minLength + 4);
      return schema.uniqueItems
        ? fc.uniqueArray(items, {
            minLength,
            maxLength,
            comparator: (a, b) => JSON.stringify(a) === JSON.stringify(b),
          })
        : fc.array(items, { minLength, maxLength });
    }
    case 'object':
    case undefined: {
      const props = (schema.properties as Record<string, Schema> | undefined) ?? {};
      const required = (schema.required as string[] | undefined) ?? [];
      const minProperties = (schema.minProperties as number | undefined) ?? 0;
      const record = fc.record(
        Object.fromEntries(Object.entries(props).map(([k, v]) => [k, valueFor(v, known)])),
        { requiredKeys: required.filter((k) => k in props) },
      );
      return record.filter((o) => Object.keys(o).length >= minProperties);
    }
    default:
      throw new Error(`schema-arbitrary: no generator for type ${String(types[0])}`);
  }
}

/** Where a mutation went and what it was, so that a property can say what the answer must be. */
export interface Mutation {
  kind:
    | 'none'
    | 'wrong-type'
    | 'huge-string'
    | 'odd-unicode'
    | 'control-char'
    | 'lone-surrogate'
    | 'deep-nesting'
    | 'prototype-key';
  /** JSON pointer of the changed value ('' = the whole value) */
  path: string;
}

export interface Mutated {
  /** the request body as sent (text, so that keys like __proto__ survive) */
  text: string;
  mutation: Mutation;
}

const CONTROL = [0x00, 0x01, 0x07, 0x08, 0x0b, 0x0c, 0x0d, 0x1b, 0x1f, 0x7f, 0x85, 0x9f].map((c) =>
  String.fromCharCode(c),
);

/** Every JSON pointer to a value inside `value` (objects and arrays), the root included. */
function pointers(value: unknown, path = ''): string[] {
  const out = [path];
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push(...pointers(v, `${path}/${k}`));
  }
  return out;
}

function setAt(root: unknown, path: string, replacement: unknown): unknown {
  if (path === '') return replacement;
  const copy = structuredClone(root) as Record<string, unknown>;
  const keys = path.slice(1).split('/');
  let node = copy;
  for (const k of keys.slice(0, -1)) node = node[k] as Record<string, unknown>;
  node[keys[keys.length - 1]!] = replacement;
  return copy;
}

function nested(depth: number): unknown {
  let v: unknown = 'bottom';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

/** A value the schema accepts, then (mostly) one place of it broken. */
export function mutatedBody(schema: Schema, known: KnownIds): fc.Arbitrary<Mutated> {
  return valueFor(schema, known).chain((value) => {
    const paths = pointers(value);
    const strings = paths.filter((p) => typeof pointerGet(value, p) === 'string');
    const objects = paths.filter((p) => {
      const v = pointerGet(value, p);
      return v !== null && typeof v === 'object' && !Array.isArray(v);
    });
    const kinds: fc.Arbitrary<Mutated>[] = [
      fc.constant({ text: JSON.stringify(value), mutation: { kind: 'none', path: '' } }),
      fc
        .tuple(
          fc.constantFrom(...paths),
          fc.constantFrom<unknown>(42, -1.5, true, null, [], {}, 'text', [1, 'a'], { x: 1 }),
        )
        .map(([path, v]) => ({
          text: JSON.stringify(setAt(value, path, v)),
          mutation: { kind: 'wrong-type', path },
        })),
      fc.tuple(fc.constantFrom(...paths), fc.integer({ min: 10_000, max: 200_000 })).map(([path, n]) => ({
        text: JSON.stringify(setAt(value, path, 'x'.repeat(n))),
        mutation: { kind: 'huge-string', path },
      })),
      fc.constantFrom(...paths).map((path) => ({
        text: JSON.stringify(setAt(value, path, nested(60))),
        mutation: { kind: 'deep-nesting', path },
      })),
    ];
    if (strings.length > 0) {
      kinds.push(
        fc
          .tuple(fc.constantFrom(...strings), fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }))
          .map(([path, s]) => ({
            text: JSON.stringify(setAt(value, path, s)),
            mutation: { kind: 'odd-unicode', path },
          })),
        fc.tuple(fc.constantFrom(...strings), fc.constantFrom(...CONTROL), fc.nat()).map(([path, c, at]) => {
          const s = pointerGet(value, path) as string;
          const i = s.length === 0 ? 0 : at % (s.length + 1);
          return {
            text: JSON.stringify(setAt(value, path, s.slice(0, i) + c + s.slice(i))),
            mutation: { kind: 'control-char', path },
          };
        }),
        fc
          .tuple(fc.constantFrom(...strings), fc.constantFrom('\ud800', '\udfff', '\udbff'))
          .map(([path, c]) => {
            const s = pointerGet(value, path) as string;
            return {
              text: JSON.stringify(setAt(value, path, s + c)),
              mutation: { kind: 'lone-surrogate', path },
            };
          }),
      );
    }
    if (objects.length > 0) {
      kinds.push(
        fc
          .tuple(fc.constantFrom(...objects), fc.constantFrom('__proto__', 'constructor', 'prototype'))
          .map(([path, key]) => {
            // Text surgery: JSON.stringify would drop a __proto__ key.
            const marker = '"__labline_marker__":0';
            const withMarker = setAt(value, path, {
              __labline_marker__: 0,
              ...(pointerGet(value, path) as object),
            });
            return {
              text: JSON.stringify(withMarker).replace(marker, `"${key}":{"isAdmin":true,"polluted":1}`),
              mutation: { kind: 'prototype-key', path },
            };
          }),
      );
    }
    return fc.oneof(...kinds);
  });
}

export function pointerGet(root: unknown, path: string): unknown {
  if (path === '') return root;
  let node = root as Record<string, unknown> | undefined;
  for (const k of path.slice(1).split('/')) node = node?.[k] as Record<string, unknown> | undefined;
  return node;
}
