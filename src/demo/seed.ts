/**
 * Demo data (docs/demo.md), seeded once: a brand with the three panels mapped, a workspace with an
 * owner and a staff member holding `labs.run` and `clients.write`, two clients, a referral, catalog tests and the
 * coupon WINTER10. Fixed ids keep the printed curls valid across restarts; a second start finds
 * the workspace and seeds nothing. The people are fictional.
 */
import { eq } from 'drizzle-orm';
import type { Database } from '../db/database.js';
import { SIMULATOR_PANELS } from '../junction/simulator/index.js';
import { brandPanels } from '../lab-orders/tables.js';
import { newObjectId } from '../http/object-id.js';
import { DEMO } from './examples.js';
import {
  labCoupons,
  labTests,
  workspaceClients,
  workspaceMembers,
  workspaceReferrals,
  workspaces,
} from '../workspaces/tables.js';

/** testId, title, price in cents */
const CATALOG: [number, string, number][] = [
  [101, 'CBC', 4000],
  [205, 'CRP', 6000],
  [310, 'Lipid Panel', 5500],
  [412, 'HbA1c', 3500],
  [518, 'Vitamin D, 25-Hydroxy', 4500],
  [623, 'TSH', 3000],
];

/** Seeds the demo data unless it is there already. Returns true when it seeded. */
export async function seedDemo(database: Database): Promise<boolean> {
  return database.transaction(async (tx) => {
    const [existing] = await tx
      .select({ id: workspaces.id })
      .from(workspaces)
      .where(eq(workspaces.id, DEMO.workspaceId));
    if (existing) return false;
    const createdBy = 'demo-seed';
    await tx
      .insert(brandPanels)
      .values(
        Object.entries(SIMULATOR_PANELS).map(([panelId, labTestId]) => ({
          brandId: DEMO.brandId,
          panelId,
          labTestId,
        })),
      )
      .onConflictDoNothing();
    await tx
      .insert(labTests)
      .values(
        CATALOG.map(([testId, testTitle, priceCents]) => ({
          id: newObjectId(),
          testId,
          testTitle,
          priceCents,
        })),
      )
      .onConflictDoNothing();
    await tx.insert(workspaces).values({
      id: DEMO.workspaceId,
      name: 'Demo Clinic',
      ownerUserId: DEMO.ownerUserId,
      createdBy: DEMO.adminUserId,
    });
    await tx.insert(workspaceMembers).values([
      {
        id: newObjectId(),
        workspaceId: DEMO.workspaceId,
        userId: DEMO.ownerUserId,
        role: 'owner',
        permissions: ['labs.run', 'clients.write'],
      },
      {
        id: newObjectId(),
        workspaceId: DEMO.workspaceId,
        userId: DEMO.staffUserId,
        role: 'staff',
        permissions: ['labs.run', 'clients.write'],
      },
    ]);
    await tx.insert(workspaceClients).values([
      {
        id: DEMO.clientIds[0],
        workspaceId: DEMO.workspaceId,
        firstName: 'Grace',
        lastName: 'Hopper',
        email: 'grace@example.com',
        dob: '1986-12-09',
        createdBy,
      },
      {
        id: DEMO.clientIds[1],
        workspaceId: DEMO.workspaceId,
        firstName: 'Alan',
        lastName: 'Turing',
        email: 'alan@example.com',
        dob: '1992-06-23',
        createdBy,
      },
    ]);
    await tx.insert(workspaceReferrals).values({
      id: DEMO.referralId,
      workspaceId: DEMO.workspaceId,
      name: 'Dr. Elizabeth Blackwell',
      createdBy,
    });
    await tx.insert(labCoupons).values({
      id: DEMO.couponId,
      workspaceId: DEMO.workspaceId,
      code: DEMO.couponCode,
      type: 'percent',
      value: 1000,
      createdBy,
    });
    return true;
  });
}
