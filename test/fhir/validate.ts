/**
 * What every Bundle the tests fetch must be: valid against HL7's FHIR R4 JSON Schema
 * (fixtures/README.md says where the copy comes from), and sound in the ways FHIR's JSON rules
 * require but a JSON Schema cannot say: no empty strings, arrays or objects and no nulls, unique
 * fullUrls matching their resource's id, and every reference resolving inside the Bundle.
 */
import fs from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import draft06 from 'ajv/dist/refs/json-schema-draft-06.json' with { type: 'json' };
import { expect } from 'vitest';

const SCHEMA = new URL('./fixtures/fhir.schema.json', import.meta.url);

let validator: { bundle: ValidateFunction; byType: (type: string) => ValidateFunction | undefined } | null =
  null;

/** Ajv with the R4 schema, compiled once per test file (a few seconds: the schema is 3.9 MB). */
function compiled() {
  if (validator) return validator;
  const { id, ...schema } = JSON.parse(fs.readFileSync(SCHEMA, 'utf8')) as { id: string };
  // Ajv 8 knows the draft-04 `id` only as `$id`; the draft-06 meta-schema is added for `$schema`.
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addMetaSchema(draft06);
  ajv.addSchema({ ...schema, $id: id });
  const get = (name: string) => ajv.getSchema(`${id}#/definitions/${name}`);
  validator = { bundle: get('Bundle')!, byType: get };
  return validator;
}

export interface FhirBundle {
  resourceType: 'Bundle';
  type: string;
  timestamp: string;
  entry: { fullUrl: string; resource: FhirResource }[];
}
export type FhirResource = { resourceType: string; id: string } & Record<string, any>;

/** Every place in `value` that FHIR's JSON forbids: null, '', [] or {}. */
function emptyPlaces(value: unknown, at = ''): string[] {
  if (value === null) return [`${at} is null`];
  if (value === '') return [`${at} is an empty string`];
  if (Array.isArray(value)) {
    return value.length === 0
      ? [`${at} is an empty array`]
      : value.flatMap((v, i) => emptyPlaces(v, `${at}/${i}`));
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value);
    return entries.length === 0
      ? [`${at} is an empty object`]
      : entries.flatMap(([k, v]) => emptyPlaces(v, `${at}/${k}`));
  }
  return [];
}

function references(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(references);
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) =>
      k === 'reference' && typeof v === 'string' ? [v] : references(v),
    );
  }
  return [];
}

/** Asserts that `body` is a valid, self-contained FHIR R4 collection Bundle and returns it typed. */
export function expectValidBundle(body: unknown): FhirBundle {
  const v = compiled();
  const valid = v.bundle(body);
  expect(v.bundle.errors ?? [], 'valid against the FHIR R4 JSON Schema').toEqual([]);
  expect(valid).toBe(true);
  const bundle = body as FhirBundle;
  expect(bundle.type).toBe('collection');
  // Each resource also against its own definition: the Bundle's `oneOf` over every resource type
  // says only "no type matched" when one is wrong; this says where.
  for (const { resource } of bundle.entry) {
    const own = v.byType(resource.resourceType)!;
    expect(own(resource) ? [] : own.errors, `${resource.resourceType} is valid`).toEqual([]);
  }
  expect(emptyPlaces(bundle)).toEqual([]);
  const fullUrls = bundle.entry.map((e) => e.fullUrl);
  expect(new Set(fullUrls).size).toBe(fullUrls.length);
  for (const e of bundle.entry) expect(e.fullUrl).toBe(`urn:uuid:${e.resource.id}`);
  for (const ref of references(bundle)) expect(fullUrls).toContain(ref);
  return bundle;
}

/** The Bundle's resources of one type. */
export function resourcesOf(bundle: FhirBundle, type: string): FhirResource[] {
  return bundle.entry.map((e) => e.resource).filter((r) => r.resourceType === type);
}

/** The one resource of `type`. */
export function oneOf(bundle: FhirBundle, type: string): FhirResource {
  const found = resourcesOf(bundle, type);
  expect(found, `one ${type}`).toHaveLength(1);
  return found[0]!;
}

/** A reference to `resource` as the Bundle writes it. */
export const refTo = (resource: FhirResource) => ({ reference: `urn:uuid:${resource.id}` });
