/** A stored visit as the API shows it: money back to numbers, dates to ISO strings. */
import { fromHundredths } from '../workspaces/money.js';
import { iso, isoOrNull } from '../workspaces/http.js';
import type { LabVisitRow } from './repository.js';
import type { LabVisit } from './schemas.js';

export function presentLabVisit(row: LabVisitRow): LabVisit {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    clientId: row.clientId,
    referralId: row.referralId,
    labVisitType: row.labVisitType,
    labVisitStatus: row.status,
    labTestIds: row.labTestIds,
    labTestSnapshots: row.labTestSnapshots.map((s) => ({
      test: { testId: s.test.testId, testTitle: s.test.testTitle },
      designTest:
        s.designTest === null
          ? null
          : {
              testId: s.designTest.testId,
              testTitle: s.designTest.testTitle,
              price: fromHundredths(s.designTest.priceCents),
            },
    })),
    labTestResults: row.labTestResults,
    labVisitDate: iso(row.labVisitDate),
    labVisitNotes: row.notes,
    labVisitPricing: {
      labVisitSubtotal: fromHundredths(row.subtotalCents),
      labCouponId: row.couponId,
      labCouponCode: row.couponCode,
      labVisitDiscountAmount: fromHundredths(row.discountCents),
      labVisitTotal: fromHundredths(row.totalCents),
    },
    deletedAt: isoOrNull(row.deletedAt),
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}
