import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/http/logging.js';
import { PHI } from '../helpers/phi.js';

/** A logger at info whose lines are collected as parsed JSON. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger('info', stream), lines };
}

describe('log lines keep patient data out', () => {
  it('censors patient fields at the first four levels, in objects and arrays, without changing the logged object', () => {
    const { logger, lines } = capture();
    const logged = {
      order_id: 'o-1',
      email: PHI.email,
      patient: { first_name: PHI.firstName },
      one: { dob: PHI.dob, kept: 'yes', two: { phone_number: PHI.phone, three: { line1: PHI.line1 } } },
      list: [{ last_name: PHI.lastName, status: 'received' }],
    };
    const before = JSON.stringify(logged);
    logger.info(logged, 'something happened');
    expect(JSON.stringify(logged)).toBe(before);
    const [line] = lines;
    expect(line).toMatchObject({
      msg: 'something happened',
      order_id: 'o-1',
      email: '[redacted]',
      patient: '[redacted]',
      one: {
        dob: '[redacted]',
        kept: 'yes',
        two: { phone_number: '[redacted]', three: { line1: '[redacted]' } },
      },
      list: [{ last_name: '[redacted]', status: 'received' }],
    });
    const text = JSON.stringify(lines);
    for (const value of [PHI.email, PHI.firstName, PHI.lastName, PHI.dob, PHI.phone, PHI.line1]) {
      expect(text).not.toContain(value);
    }
  });

  it('leaves a line without patient fields as it was, and an error as its chosen fields', () => {
    const { logger, lines } = capture();
    logger.info({ method: 'POST', status: 201, nested: { ms: 3 } }, 'request done');
    logger.error({ err: new Error(`bad value ${PHI.email}`) }, 'failed');
    expect(lines[0]).toMatchObject({ method: 'POST', status: 201, nested: { ms: 3 }, msg: 'request done' });
    expect(lines[1]).toMatchObject({ err: { type: 'Error' }, msg: 'failed' });
    expect(JSON.stringify(lines[1])).not.toContain(PHI.email);
  });
});
