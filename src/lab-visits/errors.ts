/** The lab visit surface's 422s (docs/workspace-lab-visits.md). */
import { Errors, type HttpError } from '../http/errors.js';
import type { LabVisitStatus } from './tables.js';

export function unknownLabTests(testIds: readonly number[], path: string): HttpError {
  return Errors.unprocessable(
    'unknown_lab_tests',
    `Unknown lab tests: ${testIds.join(', ')}.`,
    testIds.map((id) => ({ path, message: `${id} is not a known lab test` })),
  );
}

export function invalidCoupon(message: string): HttpError {
  return Errors.unprocessable('invalid_coupon', message, [{ path: '/labCouponCode', message }]);
}

export function invalidReferral(message: string): HttpError {
  return Errors.unprocessable('invalid_referral', message, [{ path: '/referralId', message }]);
}

export function invalidTransition(message: string): HttpError {
  return Errors.unprocessable('invalid_transition', message);
}

export function transitionRefused(from: LabVisitStatus, to: LabVisitStatus): HttpError {
  return invalidTransition(`A ${from} visit cannot become ${to}.`);
}
