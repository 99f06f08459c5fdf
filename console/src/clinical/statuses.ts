/**
 * Lab order statuses as docs/clinical-lab-orders.md states them, so that the console offers a
 * cancel only while the API would accept one (the API still decides).
 */
import type { LabOrder, LabOrderStatus } from '../api/types';

export const ORDER_STATUSES: LabOrderStatus[] = [
  'submitting',
  'received',
  'collecting_sample',
  'sample_with_lab',
  'completed',
  'cancelled',
  'failed',
  'rejected',
];

const FINAL: LabOrderStatus[] = ['completed', 'cancelled', 'failed', 'rejected'];

/** Junction's detailed status says results are final although some are missing (a redraw follows). */
const redrawAvailable = (order: LabOrder): boolean =>
  order.status_detail?.endsWith('.redraw_available') ?? false;

/** Junction cancels an order until its sample reaches the lab, and never at `redraw_available`. */
export const cancellable = (order: LabOrder): boolean =>
  order.junction_order_id !== null &&
  (order.status === 'received' || order.status === 'collecting_sample') &&
  !redrawAvailable(order);

/** Final results are there: completed (or corrected), or `redraw_available`. */
export const hasFinalResults = (order: LabOrder): boolean =>
  order.status === 'completed' || redrawAvailable(order);

/**
 * The API may have results to show (its `mayHaveResults`, docs/clinical-lab-orders.md): partial
 * ones once the sample is with the lab, final ones once completed, whatever the lab resulted
 * after a sample error, and at `redraw_available`. Not before the lab has the sample.
 */
export const mayHaveResults = (order: LabOrder): boolean =>
  order.junction_order_id !== null &&
  (redrawAvailable(order) ||
    order.status === 'sample_with_lab' ||
    order.status === 'completed' ||
    order.status === 'failed');

export const isFinal = (status: LabOrderStatus): boolean => FINAL.includes(status);

/** Orders with no requisition to use: not yet at Junction, refused, cancelled or failed. */
const NO_REQUISITION: LabOrderStatus[] = ['submitting', 'rejected', 'cancelled', 'failed'];
export const hasRequisition = (status: LabOrderStatus): boolean => !NO_REQUISITION.includes(status);

/** Junction made the requisition: a step `<status>.<kind>.requisition_created` is in the timeline. */
export const requisitionMade = (order: LabOrder): boolean =>
  order.events.some((e) => e.status_detail?.endsWith('.requisition_created') ?? false);
