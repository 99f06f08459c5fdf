/** The Bundle checks of validate.ts refuse what they are there to refuse (they cannot pass vacuously). */
import { describe, expect, it } from 'vitest';
import { expectValidBundle } from './validate.js';

const patientUrl = 'urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e';
const good = () => ({
  resourceType: 'Bundle',
  type: 'collection',
  timestamp: '2026-01-10T12:00:00.000Z',
  entry: [
    {
      fullUrl: patientUrl,
      resource: { resourceType: 'Patient', id: '0f8fad5b-d9cb-469f-a165-70867728950e', gender: 'female' },
    },
    {
      fullUrl: 'urn:uuid:7c9e6679-7425-40de-944b-e07fc1f90ae7',
      resource: {
        resourceType: 'Observation',
        id: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
        status: 'final',
        code: { text: 'TSH' },
        subject: { reference: patientUrl },
        valueQuantity: { value: 1.2, unit: 'mIU/L', system: 'http://unitsofmeasure.org', code: 'm[IU]/L' },
      },
    },
  ],
});

describe('the Bundle checks', () => {
  it('accept a valid Bundle', { timeout: 60_000 }, () => {
    expect(() => expectValidBundle(good())).not.toThrow();
  });

  it.each([
    ['a code outside its value set', (b: any) => (b.entry[0].resource.gender = 'f')],
    ['an element R4 does not have', (b: any) => (b.entry[1].resource.valueText = 'x')],
    ['a malformed date', (b: any) => (b.timestamp = '10/01/2026')],
    ['a number as a string', (b: any) => (b.entry[1].resource.valueQuantity.value = '1.2')],
    ['an empty string', (b: any) => (b.entry[1].resource.code.text = '')],
    ['an empty array', (b: any) => (b.entry[1].resource.category = [])],
    [
      'a reference to nothing in the Bundle',
      (b: any) => (b.entry[1].resource.subject.reference = 'Patient/1'),
    ],
    [
      'a fullUrl that is not its resource',
      (b: any) => (b.entry[0].fullUrl = 'urn:uuid:00000000-0000-0000-0000-000000000000'),
    ],
    ['another Bundle type', (b: any) => (b.type = 'transaction')],
  ])('refuse %s', (_, spoil) => {
    const bundle = good();
    spoil(bundle);
    expect(() => expectValidBundle(bundle)).toThrow();
  });
});
