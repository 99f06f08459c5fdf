/**
 * Statuses in words: what a person reads ("Appointment scheduled"), with the code the API sends
 * (`collecting_sample.walk_in_test.appointment_scheduled`) as secondary text, for lab orders,
 * their timeline, visits and webhook deliveries. A code the console does not know (Junction's
 * list grows) is shown as its words with the underscores taken out.
 */

/** Junction's top-level statuses and labline's own two before and after Junction's answer. */
const ORDER: Record<string, string> = {
  submitting: 'Being submitted',
  received: 'Received',
  collecting_sample: 'Collecting the sample',
  sample_with_lab: 'Sample with the lab',
  completed: 'Completed',
  cancelled: 'Cancelled',
  failed: 'Failed',
  rejected: 'Rejected by Junction',
};

/** The last segment of Junction's detailed statuses (docs/junction.md lists them all). */
const STEP: Record<string, string> = {
  ordered: 'Ordered',
  requisition_created: 'Requisition created',
  requisition_bypassed: 'No requisition needed',
  awaiting_registration: 'Kit awaiting registration',
  registered: 'Kit registered',
  appointment_pending: 'Appointment to be booked',
  appointment_scheduled: 'Appointment scheduled',
  appointment_cancelled: 'Appointment cancelled',
  redraw_available: 'Redraw available',
  draw_completed: 'Sample drawn',
  transit_customer: 'Kit on its way to the patient',
  out_for_delivery: 'Kit out for delivery',
  with_customer: 'Kit with the patient',
  transit_lab: 'Sample on its way to the lab',
  problem_in_transit_customer: 'Problem delivering the kit',
  problem_in_transit_lab: 'Problem delivering the sample',
  delivered_to_lab: 'Sample delivered to the lab',
  lab_processing_blocked: 'Lab processing blocked',
  partial_results: 'Partial results',
  completed: 'Results complete',
  corrected: 'Results corrected',
  sample_error: 'Sample error',
  failure_to_deliver_to_customer: 'Kit could not be delivered',
  failure_to_deliver_to_lab: 'Sample could not be delivered to the lab',
  lost: 'Lost in transit',
  cancelled: 'Cancelled',
  do_not_process: 'Not to be processed',
};

const VISIT: Record<string, string> = {
  pending: 'Pending',
  scheduled: 'Scheduled',
  collected: 'Sample collected',
  completed: 'Completed',
  cancelled: 'Cancelled',
};

const DELIVERY: Record<string, string> = {
  pending: 'Waiting to be sent',
  succeeded: 'Delivered',
  failed: 'Failed',
};

/** `appointment_scheduled` → "Appointment scheduled". */
const plain = (code: string): string => {
  const words = code.replace(/[_.]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
};

export const orderStatusWords = (status: string): string => ORDER[status] ?? plain(status);

/** A detailed status in words: its last segment's ("Requisition created"), else its top-level's. */
export function detailWords(detail: string): string {
  const parts = detail.split('.');
  const step = parts[parts.length - 1] ?? detail;
  return STEP[step] ?? (parts.length === 1 ? orderStatusWords(detail) : plain(step));
}

export const visitStatusWords = (status: string): string => VISIT[status] ?? plain(status);
export const deliveryStatusWords = (status: string): string => DELIVERY[status] ?? plain(status);

/**
 * A status badge in words, the code beside it as secondary text. `status` names the badge's
 * colour (status-<status>); `testId` marks the code.
 */
export function Status({
  words,
  status,
  code,
  testId,
}: {
  words: string;
  status: string;
  code: string;
  testId?: string;
}) {
  return (
    <span class="status-with-code">
      <span class={`status status-${status}`}>{words}</span>{' '}
      <code class="muted small" data-testid={testId}>
        {code}
      </code>
    </span>
  );
}
