/**
 * The visit lifecycle as docs/workspace-lab-visits.md states it, so that the console offers only
 * the moves the API accepts (the API still decides: a refused move shows its message).
 */
import type { LabVisitStatus } from '../api/types';

export const VISIT_STATUSES: LabVisitStatus[] = [
  'pending',
  'scheduled',
  'collected',
  'completed',
  'cancelled',
];

const NEXT: Record<LabVisitStatus, LabVisitStatus[]> = {
  pending: ['scheduled', 'cancelled'],
  scheduled: ['collected', 'cancelled'],
  collected: ['completed'],
  completed: [],
  cancelled: [],
};

export const movesFrom = (status: LabVisitStatus): LabVisitStatus[] => NEXT[status];
export const acceptsResults = (status: LabVisitStatus): boolean =>
  status === 'collected' || status === 'completed';

export const MOVE_LABEL: Record<LabVisitStatus, string> = {
  pending: 'Back to pending',
  scheduled: 'Mark scheduled',
  collected: 'Mark collected',
  completed: 'Mark completed',
  cancelled: 'Cancel visit',
};
