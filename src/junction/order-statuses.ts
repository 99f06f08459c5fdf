/**
 * What each of Junction's order statuses means to labline (docs/junction.md, "Every status
 * Junction sends"). A detailed status is `high.modality.low`: the first segment is Junction's
 * top-level status, the last says where the order is within it. Junction documents its statuses in
 * `lab/workflow/lab-test-lifecycle.mdx` and the SDK's `OrderStatus` (which also has the
 * `completed.*.corrected` statuses), and warns that the list grows: an undocumented status is
 * kept as sent, and placed by its first segment (or the order's top-level `status`).
 */
import { JUNCTION_STATUSES, type JunctionStatus } from './types.js';

/** Every detailed status Junction documents (a test keeps it equal to the SDK's `OrderStatus`). */
export const DOCUMENTED_ORDER_STATUSES: readonly string[] = [
  'received.walk_in_test.ordered',
  'received.walk_in_test.requisition_created',
  'received.walk_in_test.requisition_bypassed',
  'collecting_sample.walk_in_test.appointment_pending',
  'collecting_sample.walk_in_test.appointment_scheduled',
  'collecting_sample.walk_in_test.appointment_cancelled',
  'collecting_sample.walk_in_test.redraw_available',
  'sample_with_lab.walk_in_test.partial_results',
  'completed.walk_in_test.completed',
  'completed.walk_in_test.corrected',
  'failed.walk_in_test.sample_error',
  'cancelled.walk_in_test.cancelled',
  'received.at_home_phlebotomy.ordered',
  'received.at_home_phlebotomy.requisition_created',
  'received.at_home_phlebotomy.requisition_bypassed',
  'collecting_sample.at_home_phlebotomy.appointment_pending',
  'collecting_sample.at_home_phlebotomy.appointment_scheduled',
  'collecting_sample.at_home_phlebotomy.draw_completed',
  'collecting_sample.at_home_phlebotomy.appointment_cancelled',
  'sample_with_lab.at_home_phlebotomy.partial_results',
  'completed.at_home_phlebotomy.completed',
  'completed.at_home_phlebotomy.corrected',
  'failed.at_home_phlebotomy.sample_error',
  'cancelled.at_home_phlebotomy.cancelled',
  'received.testkit.ordered',
  'received.testkit.awaiting_registration',
  'received.testkit.requisition_created',
  'received.testkit.requisition_bypassed',
  'received.testkit.registered',
  'collecting_sample.testkit.transit_customer',
  'collecting_sample.testkit.out_for_delivery',
  'collecting_sample.testkit.with_customer',
  'collecting_sample.testkit.transit_lab',
  'collecting_sample.testkit.problem_in_transit_customer',
  'collecting_sample.testkit.problem_in_transit_lab',
  'sample_with_lab.testkit.delivered_to_lab',
  'sample_with_lab.testkit.lab_processing_blocked',
  'completed.testkit.completed',
  'completed.testkit.corrected',
  'failed.testkit.failure_to_deliver_to_customer',
  'failed.testkit.failure_to_deliver_to_lab',
  'failed.testkit.sample_error',
  'failed.testkit.lost',
  'cancelled.testkit.cancelled',
  'cancelled.testkit.do_not_process',
  'received.on_site_collection.ordered',
  'received.on_site_collection.requisition_created',
  'received.on_site_collection.requisition_bypassed',
  // The lifecycle page lists it under collecting_sample; the OpenAPI document and the SDK send this.
  'sample_with_lab.on_site_collection.draw_completed',
  'sample_with_lab.on_site_collection.partial_results',
  'completed.on_site_collection.completed',
  'completed.on_site_collection.corrected',
  'failed.on_site_collection.sample_error',
  'cancelled.on_site_collection.cancelled',
];

const DOCUMENTED = new Set(DOCUMENTED_ORDER_STATUSES);

export function isDocumentedStatus(detail: string): boolean {
  return DOCUMENTED.has(detail);
}

function isTopLevel(s: string | null | undefined): s is JunctionStatus {
  return typeof s === 'string' && (JUNCTION_STATUSES as readonly string[]).includes(s);
}

/** The low-level part (`redraw_available` of `collecting_sample.walk_in_test.redraw_available`). */
export function lowLevelOf(detail: string | null): string | null {
  if (detail === null) return null;
  const at = detail.lastIndexOf('.');
  return at < 0 ? null : detail.slice(at + 1);
}

/**
 * The top-level status of a detailed status: its first segment when Junction documents that
 * top-level status; else the top-level `status` Junction sent with the order; else null (an order
 * labline cannot place: it stays where it is, its detail kept).
 */
export function topLevelOf(detail: string, reported: string | null | undefined): JunctionStatus | null {
  const first = detail.split('.')[0];
  if (isTopLevel(first)) return first;
  return isTopLevel(reported) ? reported : null;
}

/**
 * Junction made the results final although some are missing (a lab error): a redraw order follows
 * under the same order transaction, and this order gets no further updates (`lab/workflow/redraws.mdx`).
 * Its results are available.
 */
export function isRedrawAvailable(detail: string | null): boolean {
  return lowLevelOf(detail) === 'redraw_available';
}

/** The lab corrected the results of a completed order (the SDK's `completed.*.corrected`). */
export function isCorrection(detail: string | null): boolean {
  return lowLevelOf(detail) === 'corrected' && (detail?.startsWith('completed.') ?? false);
}

/**
 * Whether Junction may hold results for an order in this state, so that reading them is worth a
 * call: once the lab has the sample (partial results, `lab/workflow/partials.mdx`), once
 * completed or corrected, after a sample error (the lab may have resulted part of it), at
 * `redraw_available`, and in any status labline does not know. Not before the sample reaches the
 * lab, nor for a cancelled order.
 */
export function mayHaveResults(status: string, detail: string | null): boolean {
  if (isRedrawAvailable(detail)) return true;
  if (detail !== null && !isDocumentedStatus(detail)) return true;
  return status === 'sample_with_lab' || status === 'completed' || status === 'failed';
}

/**
 * Whether Junction still lets the order be cancelled, as far as labline knows: before the sample
 * is collected (`lab/workflow/cancelling-an-order.mdx`), and never at `redraw_available`
 * (`lab/workflow/redraws.mdx`). Junction decides in the end; its refusal is passed on.
 */
export function mayBeCancelled(status: string, detail: string | null): boolean {
  if (isRedrawAvailable(detail)) return false;
  return status === 'received' || status === 'collecting_sample';
}
