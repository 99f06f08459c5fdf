/**
 * How a simulated walk-in order moves (`lab/walk-in/order-lifecycle.mdx`): the happy path Junction
 * reports for a Patient Service Center draw, its documented side steps (a bypassed requisition, a
 * cancelled appointment, a redraw, a correction) and the two ways out (cancelled, failed).
 * Statuses are `high.modality.low`.
 */

export const WALK_IN_PATH = [
  'received.walk_in_test.ordered',
  'received.walk_in_test.requisition_created',
  'collecting_sample.walk_in_test.appointment_pending',
  'collecting_sample.walk_in_test.appointment_scheduled',
  'sample_with_lab.walk_in_test.partial_results',
  'completed.walk_in_test.completed',
] as const;
type PathStatus = (typeof WALK_IN_PATH)[number];

export const CANCELLED = 'cancelled.walk_in_test.cancelled';
export const FAILED = 'failed.walk_in_test.sample_error';
/** the requisition already existed (instead of `requisition_created`) */
export const REQUISITION_BYPASSED = 'received.walk_in_test.requisition_bypassed';
/** the appointment was cancelled; the order waits for a new one (`appointment_scheduled`) */
export const APPOINTMENT_CANCELLED = 'collecting_sample.walk_in_test.appointment_cancelled';
/** results final but some missing (a lab error): no further updates (`lab/workflow/redraws.mdx`) */
export const REDRAW_AVAILABLE = 'collecting_sample.walk_in_test.redraw_available';
/** the lab corrected a completed order's results (the SDK's `OrderStatus`); may happen again */
export const CORRECTED = 'completed.walk_in_test.corrected';

/** The final statuses the sandbox endpoint (and `advance`) accept: every documented walk-in status. */
export const FINAL_STATUSES: readonly string[] = [
  ...WALK_IN_PATH,
  REQUISITION_BYPASSED,
  APPOINTMENT_CANCELLED,
  REDRAW_AVAILABLE,
  CORRECTED,
  CANCELLED,
  FAILED,
];

export function topLevel(status: string): string {
  return status.slice(0, status.indexOf('.'));
}

export function isTerminal(status: string): boolean {
  const top = topLevel(status);
  return top === 'completed' || top === 'cancelled' || top === 'failed' || status === REDRAW_AVAILABLE;
}

/**
 * Junction lets a walk-in order be cancelled until the sample is collected, and never at
 * `redraw_available` (`lab/workflow/cancelling-an-order.mdx`, `lab/workflow/redraws.mdx`).
 */
export function canCancel(status: string): boolean {
  const top = topLevel(status);
  return top === 'received' || (top === 'collecting_sample' && status !== REDRAW_AVAILABLE);
}

export class LifecycleError extends Error {}

/** Where a status sits on the happy path (a side step sits where it branches off). */
function positionOf(status: string): number {
  if (status === REQUISITION_BYPASSED) return 1;
  if (status === APPOINTMENT_CANCELLED) return 2;
  return WALK_IN_PATH.indexOf(status as PathStatus);
}

const indexOf = (status: PathStatus) => WALK_IN_PATH.indexOf(status);

/**
 * The statuses an order at `current` passes through to reach `target`, in order (never
 * backwards). Without a target: up to and including the first status of the next stage.
 */
export function stepsTowards(current: string, target: string | undefined): string[] {
  if (target === CORRECTED && topLevel(current) === 'completed') return [CORRECTED];
  if (isTerminal(current)) {
    const why = current === REDRAW_AVAILABLE ? 'final (redraw_available)' : topLevel(current);
    throw new LifecycleError(`order is already ${why}`);
  }
  const at = positionOf(current);
  if (at < 0) throw new LifecycleError(`unknown current status ${current}`);
  const ahead: string[] = WALK_IN_PATH.slice(at + 1);
  /** the steps ahead up to and including `status` of the path */
  const upTo = (status: PathStatus) => ahead.slice(0, Math.max(0, indexOf(status) - at));
  const past = () => new LifecycleError(`order is already past ${target}`);

  switch (target) {
    case undefined: {
      const next = ahead.findIndex((s) => topLevel(s) !== topLevel(current));
      return ahead.slice(0, next + 1);
    }
    case CANCELLED:
      if (!canCancel(current))
        throw new LifecycleError(`order can no longer be cancelled (${topLevel(current)})`);
      return [CANCELLED];
    case FAILED:
      // A sample error is found by the lab: the order first reaches the lab, then fails.
      return [...upTo('sample_with_lab.walk_in_test.partial_results'), FAILED];
    case REQUISITION_BYPASSED:
      if (at >= 1) throw past();
      return [REQUISITION_BYPASSED];
    case APPOINTMENT_CANCELLED:
      if (at > indexOf('collecting_sample.walk_in_test.appointment_scheduled') || current === target)
        throw past();
      return [...upTo('collecting_sample.walk_in_test.appointment_pending'), APPOINTMENT_CANCELLED];
    case REDRAW_AVAILABLE:
      return [...upTo('sample_with_lab.walk_in_test.partial_results'), REDRAW_AVAILABLE];
    case CORRECTED:
      return [...upTo('completed.walk_in_test.completed'), CORRECTED];
  }
  const to = ahead.indexOf(target);
  if (to < 0) {
    if (FINAL_STATUSES.includes(target)) throw past();
    throw new LifecycleError(`unsupported final status ${target}`);
  }
  return ahead.slice(0, to + 1);
}
