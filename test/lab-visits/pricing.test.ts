import { describe, expect, it } from 'vitest';
import { canReschedule, canTransition, acceptsResults } from '../../src/lab-visits/lifecycle.js';
import { discountCents, priceVisit, testsSubtotalCents } from '../../src/lab-visits/pricing.js';
import { LAB_VISIT_STATUSES } from '../../src/lab-visits/tables.js';

const catalog = (cents: number) => ({ catalogPriceCents: cents, workspacePriceCents: null });

describe('pricing (integer cents)', () => {
  it('sums the tests, a workspace price winning over the catalog price', () => {
    expect(testsSubtotalCents([catalog(4000), catalog(6000)])).toBe(10_000);
    expect(testsSubtotalCents([catalog(4000), { catalogPriceCents: 6000, workspacePriceCents: 5550 }])).toBe(
      9550,
    );
    expect(testsSubtotalCents([{ catalogPriceCents: 6000, workspacePriceCents: 0 }])).toBe(0);
  });

  it('uses a given subtotal instead of the sum, zero included', () => {
    expect(priceVisit([catalog(4000)], 2500, null)).toEqual({
      subtotalCents: 2500,
      discountCents: 0,
      totalCents: 2500,
    });
    expect(priceVisit([catalog(4000)], 0, { type: 'percent', value: 1000 })).toEqual({
      subtotalCents: 0,
      discountCents: 0,
      totalCents: 0,
    });
  });

  it('takes a percent off, rounding half a cent up and less than half down', () => {
    expect(discountCents(10_000, { type: 'percent', value: 1000 })).toBe(1000); // 10 % of 100.00
    expect(discountCents(105, { type: 'percent', value: 5000 })).toBe(53); // 50 % of 1.05 = 0.525
    expect(discountCents(5, { type: 'percent', value: 1000 })).toBe(1); // 10 % of 0.05 = 0.005
    expect(discountCents(4, { type: 'percent', value: 1000 })).toBe(0); // 0.004
    expect(discountCents(999, { type: 'percent', value: 1250 })).toBe(125); // 12.5 % of 9.99 = 1.24875
    expect(discountCents(10_000, { type: 'percent', value: 10_000 })).toBe(10_000); // 100 %
    expect(discountCents(10_000, { type: 'percent', value: 0 })).toBe(0);
  });

  it('takes a fixed amount off, never more than the subtotal', () => {
    expect(discountCents(10_000, { type: 'fixed', value: 2550 })).toBe(2550);
    expect(priceVisit([catalog(4000)], null, { type: 'fixed', value: 5000 })).toEqual({
      subtotalCents: 4000,
      discountCents: 4000,
      totalCents: 0,
    });
  });

  it('stays exact at large amounts (no floating point on the way)', () => {
    expect(discountCents(999_999_999, { type: 'percent', value: 3333 })).toBe(333_300_000);
    expect(priceVisit([], 999_999_999, { type: 'percent', value: 3333 }).totalCents).toBe(666_699_999);
  });
});

describe('visit lifecycle', () => {
  it('allows exactly pending → scheduled → collected → completed, and cancelling before collection', () => {
    const allowed = LAB_VISIT_STATUSES.flatMap((from) =>
      LAB_VISIT_STATUSES.filter((to) => canTransition(from, to)).map((to) => `${from}→${to}`),
    );
    expect(allowed.sort()).toEqual(
      [
        'collected→completed',
        'pending→cancelled',
        'pending→scheduled',
        'scheduled→cancelled',
        'scheduled→collected',
      ].sort(),
    );
  });

  it('reschedules only before collection, takes results only after', () => {
    expect(LAB_VISIT_STATUSES.filter(canReschedule)).toEqual(['pending', 'scheduled']);
    expect(LAB_VISIT_STATUSES.filter(acceptsResults)).toEqual(['collected', 'completed']);
  });
});
