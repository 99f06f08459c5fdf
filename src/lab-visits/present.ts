/** A stored visit as the API shows it: money back to numbers, dates to ISO strings. */
import { previousValues, type NewEvent } from '../events/record.js';
import type { LabVisitEventType } from './events.js';
import { fromHundredths } from '../workspaces/money.js';
import { iso, isoOrNull } from '../workspaces/http.js';
import type { VisitPrice } from './pricing.js';
import type { LabVisitRow } from './repository.js';
import type { LabVisit } from './schemas.js';
import type { LabTestSnapshot } from './tables.js';

/** `labVisitPricing`, as a visit and a quote show it. */
export function presentPricing(
  price: VisitPrice & { couponId: string | null; couponCode: string | null },
): LabVisit['labVisitPricing'] {
  return {
    labVisitSubtotal: fromHundredths(price.subtotalCents),
    labCouponId: price.couponId,
    labCouponCode: price.couponCode,
    labVisitDiscountAmount: fromHundredths(price.discountCents),
    labVisitTotal: fromHundredths(price.totalCents),
  };
}

/** `labTestSnapshots`, as a visit and a quote show them. */
export function presentSnapshots(snapshots: readonly LabTestSnapshot[]): LabVisit['labTestSnapshots'] {
  return snapshots.map((s) => ({
    test: { testId: s.test.testId, testTitle: s.test.testTitle },
    designTest:
      s.designTest === null
        ? null
        : {
            testId: s.designTest.testId,
            testTitle: s.designTest.testTitle,
            price: fromHundredths(s.designTest.priceCents),
          },
  }));
}

export function presentLabVisit(row: LabVisitRow): LabVisit {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    clientId: row.clientId,
    referralId: row.referralId,
    labVisitType: row.labVisitType,
    labVisitStatus: row.status,
    labTestIds: row.labTestIds,
    labTestSnapshots: presentSnapshots(row.labTestSnapshots),
    labTestResults: row.labTestResults,
    labVisitDate: iso(row.labVisitDate),
    labVisitNotes: row.notes,
    labVisitPricing: presentPricing(row),
    deletedAt: isoOrNull(row.deletedAt),
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

/**
 * The event of a visit's change (docs/events.md): the visit as its GET shows it after the change,
 * and the earlier values of the fields that changed (none for a creation).
 */
export function visitEvent(
  type: LabVisitEventType,
  before: LabVisitRow | null,
  after: LabVisitRow,
): NewEvent {
  const object = presentLabVisit(after);
  return {
    type,
    workspaceId: after.workspaceId,
    at: after.updatedAt,
    object,
    previous: before ? previousValues(presentLabVisit(before), object) : {},
  };
}
