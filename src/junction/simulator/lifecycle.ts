/**
 * How a simulated walk-in order moves: the happy path Junction reports for a Patient Service
 * Center draw, plus the two ways out of it (cancelled, failed). Statuses are `high.modality.low`.
 */

export const WALK_IN_PATH = [
  'received.walk_in_test.ordered',
  'received.walk_in_test.requisition_created',
  'collecting_sample.walk_in_test.appointment_scheduled',
  'sample_with_lab.walk_in_test.partial_results',
  'completed.walk_in_test.completed',
] as const;

export const CANCELLED = 'cancelled.walk_in_test.cancelled';
export const FAILED = 'failed.walk_in_test.sample_error';

/** The final statuses the sandbox endpoint (and `advance`) accept. */
export const FINAL_STATUSES: readonly string[] = [...WALK_IN_PATH, CANCELLED, FAILED];

export function topLevel(status: string): string {
  return status.slice(0, status.indexOf('.'));
}

export function isTerminal(status: string): boolean {
  const top = topLevel(status);
  return top === 'completed' || top === 'cancelled' || top === 'failed';
}

/**
 * Junction lets an order be cancelled until the sample is collected: once the lab holds it
 * (`sample_with_lab`) or the order has ended, cancelling is refused.
 */
export function canCancel(status: string): boolean {
  const top = topLevel(status);
  return top === 'received' || top === 'collecting_sample';
}

export class LifecycleError extends Error {}

/**
 * The statuses an order at `current` passes through to reach `target`, in order (never
 * backwards). Without a target: up to and including the first status of the next stage.
 */
export function stepsTowards(current: string, target: string | undefined): string[] {
  if (isTerminal(current)) throw new LifecycleError(`order is already ${topLevel(current)}`);
  const at = WALK_IN_PATH.indexOf(current as (typeof WALK_IN_PATH)[number]);
  if (at < 0) throw new LifecycleError(`unknown current status ${current}`);
  const ahead = WALK_IN_PATH.slice(at + 1);

  if (target === undefined) {
    const next = ahead.findIndex((s) => topLevel(s) !== topLevel(current));
    return ahead.slice(0, next + 1);
  }
  if (target === CANCELLED) {
    if (!canCancel(current))
      throw new LifecycleError(`order can no longer be cancelled (${topLevel(current)})`);
    return [CANCELLED];
  }
  if (target === FAILED) {
    // A sample error is found by the lab: the order first reaches the lab, then fails.
    const withLab = ahead.findIndex((s) => topLevel(s) === 'sample_with_lab');
    return [...ahead.slice(0, withLab + 1), FAILED];
  }
  const to = ahead.indexOf(target as (typeof WALK_IN_PATH)[number]);
  if (to < 0) {
    if (FINAL_STATUSES.includes(target)) throw new LifecycleError(`order is already past ${target}`);
    throw new LifecycleError(`unsupported final status ${target}`);
  }
  return ahead.slice(0, to + 1);
}
