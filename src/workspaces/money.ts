/**
 * Money is integer cents inside the service and a number with at most two decimals outside.
 * The same scale (hundredths) carries percentages: 12.5 % is stored as 1250.
 */
import { Type } from 'typebox';
import { Errors } from '../http/errors.js';

/** Upper bound of any amount, so that cents fit a PostgreSQL integer with room to spare. */
export const MAX_AMOUNT = 10_000_000;
export const MAX_TESTS_PER_VISIT = 100;
/** Upper bound of a test's price, so that the sum of a visit's test prices stays within MAX_AMOUNT. */
export const MAX_TEST_PRICE = MAX_AMOUNT / MAX_TESTS_PER_VISIT;

export const Money = (description: string, maximum: number = MAX_AMOUNT) =>
  Type.Number({
    minimum: 0,
    maximum,
    description: `${description}; at most two decimals`,
    examples: [40],
  });

/** `amount` in hundredths, or null when it has more than two decimals. */
export function toHundredths(amount: number): number | null {
  const hundredths = Math.round(amount * 100);
  return hundredths / 100 === amount ? hundredths : null;
}

/** Like `toHundredths`, answering 400 `validation_error` at `path` for a third decimal. */
export function hundredthsOf(amount: number, path: string): number {
  const hundredths = toHundredths(amount);
  if (hundredths === null) {
    throw Errors.validation(`Invalid body: ${path} must have at most two decimals`, [
      { path, message: 'must have at most two decimals' },
    ]);
  }
  return hundredths;
}

export function fromHundredths(hundredths: number): number {
  return hundredths / 100;
}
