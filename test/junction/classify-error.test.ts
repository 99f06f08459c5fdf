/** Junction's error bodies become short reasons that never carry what the patient sent. */
import { describe, expect, it } from 'vitest';
import { describeErrorBody, scrub } from '../../src/junction/classify-error.js';
import { PHI } from '../helpers/phi.js';

describe('describeErrorBody', () => {
  it('reads the FastAPI detail forms Junction uses, dropping echoed inputs', () => {
    expect(describeErrorBody({ detail: 'Order not found' }, 404)).toBe('Order not found');
    expect(
      describeErrorBody(
        { detail: { error_type: 'INVALID_REQUEST', error_message: 'Client user id already exists.' } },
        400,
      ),
    ).toBe('Client user id already exists.');
    expect(
      describeErrorBody(
        {
          detail: [
            {
              loc: ['body', 'patient_details', 'email'],
              msg: 'value is not a valid email',
              type: 'value_error',
              input: PHI.email,
            },
            {
              loc: ['body', 'user_id'],
              msg: 'Field required',
              type: 'missing',
              input: { first_name: PHI.firstName },
            },
          ],
        },
        422,
      ),
    ).toBe('patient_details.email: value is not a valid email; user_id: Field required');
    expect(describeErrorBody('<html>Bad gateway</html>', 400)).toBe('HTTP 400');
  });
});

describe('scrub', () => {
  it('removes the values sent and anything shaped like an e-mail, phone number or date', () => {
    const text = `invalid phone ${PHI.phone} for ${PHI.firstName.toUpperCase()} born ${PHI.dob}, contact ${PHI.email}, at ${PHI.line1}`;
    const out = scrub(text, [PHI.firstName, PHI.line1]);
    for (const value of [PHI.phone, PHI.firstName.toUpperCase(), PHI.dob, PHI.email, PHI.line1]) {
      expect(out).not.toContain(value);
    }
    expect(out).toContain('invalid phone [redacted]');
  });

  it('redacts whole values, never part of an id or a longer word', () => {
    // The demo patient's name and zip, and digit runs shaped like a phone, inside a user id.
    const userId = 'b1985121-0ada-4555-a555-555501009410';
    const text = `user_id: Value error, user ${userId} not found; Ada, 94105 Adaline`;
    const out = scrub(text, ['Ada', '94105', '555-5010']);
    expect(out).toBe(`user_id: Value error, user ${userId} not found; [redacted], [redacted] Adaline`);
    expect(scrub(`id 65a0000000000000000000b1 for ${PHI.phone}`, ['65a0'])).toBe(
      'id 65a0000000000000000000b1 for [redacted]',
    );
  });

  it('keeps reasons short', () => {
    expect(scrub('x'.repeat(1000), []).length).toBeLessThanOrEqual(300);
  });
});
