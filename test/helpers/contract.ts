/** Validates answers against a contract's own JSON Schemas (copied into test/contracts/). */
import fs from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { expect } from 'vitest';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const cache = new Map<string, ValidateFunction>();

export function contractSchema(contract: string, file: string): Record<string, unknown> {
  return JSON.parse(
    fs.readFileSync(path.resolve(import.meta.dirname, '../contracts', contract, file), 'utf8'),
  );
}

/** Asserts `body` is valid against the contract schema `file`. */
export function expectContract(contract: string, file: string, body: unknown): void {
  const key = `${contract}/${file}`;
  let validate = cache.get(key);
  if (!validate) {
    validate = ajv.compile(contractSchema(contract, file));
    cache.set(key, validate);
  }
  const ok = validate(body);
  expect(ok ? [] : validate.errors, `${key}: ${JSON.stringify(body)}`).toEqual([]);
}

export const clinical = {
  created: (body: unknown) => {
    expectContract('clinical-lab-orders', 'response-201.schema.json', body);
    // Exactly the contract's fields: nothing more.
    const schema = contractSchema('clinical-lab-orders', 'response-201.schema.json') as {
      properties: object;
    };
    expect(Object.keys(body as object).sort()).toEqual(Object.keys(schema.properties).sort());
  },
  error: (status: 400 | 409 | 502, body: unknown) =>
    expectContract('clinical-lab-orders', `response-${status}.schema.json`, body),
};
