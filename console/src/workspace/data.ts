/** Whole lists a workspace page needs at once (clients to name, tests to book, members), page by page. */
import { api, call } from '../api/client';
import type { Client, Coupon, Member, Referral, WorkspaceTest } from '../api/types';

async function everyPage<T>(
  page: (cursor: string | undefined) => Promise<{ items: T[]; next: string | null }>,
) {
  const all: T[] = [];
  let cursor: string | undefined;
  do {
    const { items, next } = await page(cursor);
    all.push(...items);
    cursor = next ?? undefined;
  } while (cursor);
  return all;
}

const pageQuery = (cursor: string | undefined) => ({ limit: 200, ...(cursor ? { cursor } : {}) });

/** `archived`: the archived ones too (the API's `?archived=true`). */
export const allClients = (workspaceId: string, { archived = false } = {}): Promise<Client[]> =>
  everyPage(async (cursor) => {
    const page = await call(
      api.GET('/v1/workspace/{workspaceId}/clients', {
        params: { path: { workspaceId }, query: { ...pageQuery(cursor), ...(archived ? { archived } : {}) } },
      }),
    );
    return { items: page.clients, next: page.nextCursor };
  });

export const allReferrals = (workspaceId: string, { archived = false } = {}): Promise<Referral[]> =>
  everyPage(async (cursor) => {
    const page = await call(
      api.GET('/v1/workspace/{workspaceId}/referrals', {
        params: { path: { workspaceId }, query: { ...pageQuery(cursor), ...(archived ? { archived } : {}) } },
      }),
    );
    return { items: page.referrals, next: page.nextCursor };
  });

export const allTests = (workspaceId: string): Promise<WorkspaceTest[]> =>
  everyPage(async (cursor) => {
    const page = await call(
      api.GET('/v1/workspace/{workspaceId}/labs/tests', {
        params: { path: { workspaceId }, query: pageQuery(cursor) },
      }),
    );
    return { items: page.labTests, next: page.nextCursor };
  });

export const allCoupons = (workspaceId: string): Promise<Coupon[]> =>
  everyPage(async (cursor) => {
    const page = await call(
      api.GET('/v1/workspace/{workspaceId}/labs/coupons', {
        params: { path: { workspaceId }, query: pageQuery(cursor) },
      }),
    );
    return { items: page.labCoupons, next: page.nextCursor };
  });

export const allMembers = (workspaceId: string): Promise<Member[]> =>
  everyPage(async (cursor) => {
    const page = await call(
      api.GET('/v1/workspace/{workspaceId}/members', {
        params: { path: { workspaceId }, query: pageQuery(cursor) },
      }),
    );
    return { items: page.members, next: page.nextCursor };
  });

export const clientName = (client: Client | undefined, id: string): string =>
  client ? `${client.firstName} ${client.lastName}` : id;

/** The price a visit uses for a test: the workspace's own, else the catalog's. */
export const testPrice = (test: WorkspaceTest): number => test.designTest?.price ?? test.price;
export const testTitle = (test: WorkspaceTest): string => test.designTest?.testTitle ?? test.testTitle;
