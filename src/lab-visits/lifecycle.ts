/** The visit status lifecycle (docs/workspace-lab-visits.md): pending → scheduled → collected → completed; cancelled from pending or scheduled. */
import type { LabVisitStatus } from './tables.js';

const NEXT: Record<LabVisitStatus, readonly LabVisitStatus[]> = {
  pending: ['scheduled', 'cancelled'],
  scheduled: ['collected', 'cancelled'],
  collected: ['completed'],
  completed: [],
  cancelled: [],
};

export function canTransition(from: LabVisitStatus, to: LabVisitStatus): boolean {
  return NEXT[from].includes(to);
}

/** A visit can be moved to another date only before its sample is taken. */
export function canReschedule(status: LabVisitStatus): boolean {
  return status === 'pending' || status === 'scheduled';
}

/** Results exist only once a sample was collected. */
export function acceptsResults(status: LabVisitStatus): boolean {
  return status === 'collected' || status === 'completed';
}
