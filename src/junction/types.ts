/**
 * What the rest of labline knows about Junction: this interface and its typed errors. The
 * implementation (client.ts, on the official SDK) talks to the real API or to the simulator,
 * chosen by configuration; nothing else knows Junction's URLs or wire format.
 */

/** Junction's top-level order statuses, in lifecycle order (cancelled/failed are terminal). */
export const JUNCTION_STATUSES = [
  'received',
  'collecting_sample',
  'sample_with_lab',
  'completed',
  'cancelled',
  'failed',
] as const;
export type JunctionStatus = (typeof JUNCTION_STATUSES)[number];

export interface JunctionOrderEvent {
  /** detailed status, e.g. `received.walk_in_test.ordered` */
  status: string;
  createdAt: string;
}

export interface JunctionOrder {
  id: string;
  userId: string;
  /**
   * top-level status, e.g. `received`; null when Junction sent a status labline cannot place (an
   * unknown first segment and an unknown top-level `status`): the order then stays where it is
   */
  status: JunctionStatus | null;
  /** detailed `high.modality.low` status as Junction sent it, e.g. `received.walk_in_test.ordered` */
  statusDetail: string;
  /** `statusDetail` is not one Junction documents (order-statuses.ts): kept, and logged by name */
  undocumentedStatus: boolean;
  sampleId: string | null;
  /** what the order was created with as `passthrough` (labline: its own order id) */
  passthrough: string | null;
  events: JunctionOrderEvent[];
  createdAt: string;
  updatedAt: string;
}

export interface JunctionPatient {
  firstName: string;
  lastName: string;
  /** YYYY-MM-DD */
  dob: string;
  gender: 'female' | 'male' | 'other' | 'unknown';
  phoneNumber: string;
  email: string;
}

export interface JunctionAddress {
  firstLine: string;
  secondLine?: string | null;
  city: string;
  state: string;
  zip: string;
  country: string;
}

export interface CreateJunctionOrder {
  userId: string;
  labTestId: string;
  patient: JunctionPatient;
  address: JunctionAddress;
  /** Junction keeps it on the order and returns it in webhooks: our local order id. */
  passthrough?: string;
}

export interface JunctionResultMarker {
  name: string;
  slug: string | null;
  /** the result as Junction sends it: a number for `numeric`, text such as `<0.5` or a comment otherwise */
  value: string;
  /** Junction's result type: `numeric`, `range`, `comment`, `coded_value` (the enum is non-exhaustive) */
  type: string | null;
  unit: string | null;
  /** the reference range as the lab prints it, e.g. `0.45-4.5` */
  referenceRange: string | null;
  minRangeValue: number | null;
  maxRangeValue: number | null;
  isAboveMaxRange: boolean | null;
  isBelowMinRange: boolean | null;
  /** `normal`, `abnormal`, `critical` or `unknown` */
  interpretation: string | null;
  /** the LOINC code of the marker, when Junction has one */
  loinc: string | null;
  /** the performing lab's own code for the result */
  providerId: string | null;
  /** when the lab resulted this marker (ISO), when Junction says */
  resultedAt: string | null;
}

/**
 * An order's results. Junction's result metadata also names the patient (name, dob, age): none of
 * that crosses over; labline holds the patient itself.
 */
export interface JunctionResults {
  orderId: string;
  /** the report's status at Junction (`final`, `partial`, …) */
  status: string;
  sampleId: string | null;
  reportedAt: string | null;
  /** when the sample was collected, when Junction says */
  collectedAt: string | null;
  /** the performing laboratory's name and CLIA number, when Junction says */
  laboratory: string | null;
  clia: string | null;
  markers: JunctionResultMarker[];
}

export interface JunctionLabTest {
  id: string;
  name: string;
  slug: string;
}

export interface JunctionApi {
  /** The Junction user id for `clientUserId`, creating the user when it does not exist yet. */
  ensureUser(clientUserId: string): Promise<string>;
  /** `POST /v3/order` with `X-Idempotency-Key`: the same key always yields the same order. */
  createOrder(order: CreateJunctionOrder, idempotencyKey: string): Promise<JunctionOrder>;
  getOrder(orderId: string): Promise<JunctionOrder>;
  /** The user's order whose `passthrough` is this (`GET /v3/orders?user_id=`), or null. */
  findOrderByPassthrough(userId: string, passthrough: string): Promise<JunctionOrder | null>;
  /** Rejected (JunctionRejected) once the order is too far along to cancel. */
  cancelOrder(orderId: string): Promise<JunctionOrder>;
  getResults(orderId: string): Promise<JunctionResults>;
  getResultPdf(orderId: string): Promise<Uint8Array>;
  /** The requisition a walk-in patient takes to the lab; rejected with 404 until Junction made it. */
  getRequisitionPdf(orderId: string): Promise<Uint8Array>;
  listLabTests(): Promise<JunctionLabTest[]>;
}

/** Junction could not be reached or did not answer definitively: network, timeout, 5xx, 429. */
export class JunctionUnavailable extends Error {
  constructor(
    readonly operation: string,
    readonly reason: string,
  ) {
    super(`Junction ${operation} unavailable: ${reason}`);
    this.name = 'JunctionUnavailable';
  }
}

/**
 * Junction refused to make a user because the team has as many as it may have (a sandbox team
 * holds 50 users: `api-details/junction-api.mdx`). Not a refusal of the order: once users are
 * freed, the same request goes through, so the order stays resumable.
 */
export class JunctionUserLimit extends JunctionUnavailable {
  constructor(operation: string, reason: string) {
    super(operation, reason);
    this.name = 'JunctionUserLimit';
  }
}

/** Junction answered with a definite 4xx: the request will not succeed as sent. */
export class JunctionRejected extends Error {
  constructor(
    readonly operation: string,
    readonly statusCode: number,
    /** Junction's own explanation, safe to show to the API client (no PHI is echoed). */
    readonly reason: string,
  ) {
    super(`Junction ${operation} rejected (${statusCode}): ${reason}`);
    this.name = 'JunctionRejected';
  }
}

/**
 * Junction does not know the user an order names (`POST /v3/order`): a user id cached from
 * another Junction, or one this Junction has since forgotten (a sandbox reset).
 */
export class JunctionUnknownUser extends JunctionRejected {
  constructor(operation: string, statusCode: number) {
    super(operation, statusCode, 'the Junction user of this patient is not known to Junction');
    this.name = 'JunctionUnknownUser';
  }
}

/** The Junction a service instance talks to, with what its webhooks and panels need. */
export interface JunctionDeps {
  api: JunctionApi;
  /**
   * Which Junction this is (its base URL; demo mode's simulator is its own): Junction user ids
   * are cached per environment, since one Junction's ids mean nothing to another.
   */
  environment: string;
  /** Svix secret of incoming Junction webhooks */
  webhookSecret: string;
  /** default panel_id → Junction lab test id */
  panels: Readonly<Record<string, string>>;
}
