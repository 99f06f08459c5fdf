/** Names for the generated types the pages use (all from schema.d.ts, so all from /openapi.json). */
import type { operations } from './schema';

type JsonOf<R> = R extends { content: { 'application/json': infer T } } ? T : never;

/** The JSON an operation answers with `status`. */
export type Answer<
  Op extends keyof operations,
  Status extends number = 200,
> = Status extends keyof operations[Op]['responses'] ? JsonOf<operations[Op]['responses'][Status]> : never;

/** The JSON body an operation takes. */
export type RequestBody<Op extends keyof operations> = operations[Op] extends {
  requestBody?: { content: { 'application/json': infer T } };
}
  ? T
  : never;

export type Me = Answer<'getCurrentPrincipal'>;
export type Persona = Answer<'listDemoPersonas'>['personas'][number];
export type Workspace = Answer<'getWorkspace'>['workspace'];
export type Member = Answer<'listWorkspaceMembers'>['members'][number];
export type LabVisit = Answer<'getLabVisit'>['labVisit'];
export type LabVisitStatus = LabVisit['labVisitStatus'];
export type VisitQuote = Answer<'quoteLabVisit'>;
export type NewVisit = RequestBody<'createLabVisit'>;
export type ResultInput = RequestBody<'attachLabVisitResults'>['labTestResults'][number];
export type Client = Answer<'listWorkspaceClients'>['clients'][number];
export type Referral = Answer<'listWorkspaceReferrals'>['referrals'][number];
export type WorkspaceTest = Answer<'listWorkspaceLabTests'>['labTests'][number];
export type Coupon = Answer<'listLabCoupons'>['labCoupons'][number];
export type LabOrder = Answer<'getLabOrder'>;
export type LabOrderSummary = Answer<'listLabOrders'>['data'][number];
export type LabOrderStatus = LabOrder['status'];
export type LabResults = Answer<'getLabOrderResults'>;
