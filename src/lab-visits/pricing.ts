/**
 * Visit pricing (docs/workspace-lab-visits.md), pure and in integer hundredths: cents for amounts, hundredths of a
 * percent for percent coupons. Whether a coupon may be used at all (active, expiry, redemptions)
 * is the repository's job; this only does the arithmetic.
 */
import type { CouponType } from '../workspaces/tables.js';

export interface PricedTest {
  catalogPriceCents: number;
  /** the workspace's own price, which wins over the catalog's */
  workspacePriceCents: number | null;
}

export interface CouponTerms {
  type: CouponType;
  /** hundredths of a percent (`percent`) or cents (`fixed`) */
  value: number;
}

export interface VisitPrice {
  subtotalCents: number;
  discountCents: number;
  totalCents: number;
}

export function testsSubtotalCents(tests: readonly PricedTest[]): number {
  return tests.reduce((sum, t) => sum + (t.workspacePriceCents ?? t.catalogPriceCents), 0);
}

/** Rounded half-up to the cent and never more than the subtotal. */
export function discountCents(subtotalCents: number, coupon: CouponTerms | null): number {
  if (coupon === null) return 0;
  const raw =
    coupon.type === 'percent'
      ? // subtotal × percent/100, in integers: cents × hundredths-of-a-percent / 10 000, +5 000 rounds half up
        Math.floor((subtotalCents * coupon.value + 5_000) / 10_000)
      : coupon.value;
  return Math.min(raw, subtotalCents);
}

/** `givenSubtotalCents` (the request's `labVisitSubtotal`) replaces the tests' sum when not null. */
export function priceVisit(
  tests: readonly PricedTest[],
  givenSubtotalCents: number | null,
  coupon: CouponTerms | null,
): VisitPrice {
  const subtotalCents = givenSubtotalCents ?? testsSubtotalCents(tests);
  const discount = discountCents(subtotalCents, coupon);
  return { subtotalCents, discountCents: discount, totalCents: subtotalCents - discount };
}
