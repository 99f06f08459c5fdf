/**
 * One lab order: its status and Junction's detailed status, the event timeline, the results and
 * their PDF once completed, and cancel while Junction still takes one. In demo mode, the order can
 * be moved on at the simulated Junction (the same demo route the banner's curl uses).
 */
import { useState } from 'preact/hooks';
import { api, ApiError, call } from '../api/client';
import type { LabOrder } from '../api/types';
import { href } from '../router';
import { can, useSignedIn } from '../signed-in';
import {
  Confirm,
  dateTime,
  Download,
  Empty,
  PageTitle,
  Problem,
  Show,
  TableWrap,
  useApi,
  useSubmit,
} from '../ui';
import { orderTitle, panelName, patientLabel } from './names';
import { Flag, markerFlag } from '../flags';
import { detailWords, orderStatusWords, Status } from '../status-words';
import {
  cancellable,
  hasFinalResults,
  hasRequisition,
  isFinal,
  mayHaveResults,
  requisitionMade,
} from './statuses';

/**
 * The name the brand keeps for the order's patient (GET /v1/patients/:id, an audited read), or
 * null when its profile has none.
 */
async function patientNameOf(order: LabOrder): Promise<string | null> {
  try {
    const { patient } = await call(
      api.GET('/v1/patients/{patientId}', {
        params: { path: { patientId: order.patient_id }, query: { brand_id: order.brand_id } },
      }),
    );
    return [patient.first_name, patient.last_name].filter(Boolean).join(' ') || null;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

export function OrderPage({ id }: { id: string }) {
  const loaded = useApi(async () => {
    const order = await call(api.GET('/v1/lab-orders/{id}', { params: { path: { id } } }));
    return { order, name: await patientNameOf(order) };
  }, [id]);
  return (
    <Show loaded={loaded} what="the lab order">
      {({ order, name }) => (
        <OrderView
          order={order}
          name={name}
          onChange={(o) => loaded.setData({ order: o, name })}
          reload={loaded.reload}
        />
      )}
    </Show>
  );
}

function OrderView({
  order,
  name,
  onChange,
  reload,
}: {
  order: LabOrder;
  name: string | null;
  onChange: (o: LabOrder) => void;
  reload: () => void;
}) {
  const { me, demo } = useSignedIn();
  const write = can.writeOrders(me);
  return (
    <>
      <PageTitle
        secondary={
          <>
            Lab order <code>{order.id}</code>
          </>
        }
      >
        {orderTitle(order, name)}
      </PageTitle>
      <p>
        <a href={href('/orders')}>All lab orders</a>{' '}
        <button type="button" class="secondary" onClick={reload}>
          Refresh
        </button>
      </p>
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <Status
            words={orderStatusWords(order.status)}
            status={order.status}
            code={order.status}
            testId="order-status"
          />
        </dd>
        <dt>Detailed status</dt>
        <dd>
          {order.status_detail ? (
            <>
              {detailWords(order.status_detail)}{' '}
              <code class="muted small" data-testid="order-status-detail">
                {order.status_detail}
              </code>
            </>
          ) : (
            '—'
          )}
        </dd>
        <dt>Patient</dt>
        <dd>
          {patientLabel(name)}{' '}
          <span class="muted small">
            <code>{order.patient_id}</code>
          </span>
        </dd>
        <dt>Brand</dt>
        <dd>{order.brand_id}</dd>
        <dt>Panel</dt>
        <dd>
          {panelName(order.panel_id)} <span class="muted small">{order.panel_id}</span>
        </dd>
        <dt>Junction order</dt>
        <dd>
          <code>{order.junction_order_id ?? '—'}</code>
        </dd>
        <dt>Created</dt>
        <dd>{dateTime(order.created_at)}</dd>
        <dt>Completed</dt>
        <dd>{dateTime(order.completed_at)}</dd>
      </dl>

      {write && (cancellable(order) || (demo && !isFinal(order.status) && order.junction_order_id)) ? (
        <OrderActions order={order} title={orderTitle(order, name)} onChange={onChange} demo={demo} />
      ) : null}

      <section aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        {order.events.length === 0 ? (
          <Empty>No events yet.</Empty>
        ) : (
          <ol class="timeline" aria-label="Order events, oldest first">
            {order.events.map((e, i) => (
              <li key={i}>
                <Status
                  words={e.status_detail ? detailWords(e.status_detail) : orderStatusWords(e.status)}
                  status={e.status}
                  code={e.status_detail ?? e.status}
                />
                <div class="muted small">
                  {dateTime(e.occurred_at)}, from {e.source}
                </div>
              </li>
            ))}
          </ol>
        )}
      </section>

      <Requisition order={order} />

      <section aria-labelledby="results-title">
        <h2 id="results-title">Results</h2>
        {mayHaveResults(order) ? (
          <Results id={order.id} final={hasFinalResults(order)} />
        ) : (
          <Empty>{noResultsYet(order)}</Empty>
        )}
      </section>

      <section aria-labelledby="fhir-title">
        <h2 id="fhir-title">FHIR</h2>
        <p>
          The order as a FHIR R4 Bundle for an EHR: the patient, the order and, once Junction has results, the
          report with one observation per marker.
        </p>
        <Download
          label="Download FHIR"
          filename={`lab-order-${order.id}.fhir.json`}
          action="download the FHIR Bundle"
          fetch={() =>
            call(api.GET('/v1/lab-orders/{id}/fhir', { params: { path: { id: order.id } }, parseAs: 'blob' }))
          }
        />
      </section>
    </>
  );
}

function OrderActions({
  order,
  title,
  onChange,
  demo,
}: {
  order: LabOrder;
  /** the order's title: its patient and panel */
  title: string;
  onChange: (o: LabOrder) => void;
  demo: boolean;
}) {
  const [confirming, setConfirming] = useState(false);
  const submit = useSubmit();
  const path = { id: order.id };
  const cancel = () =>
    submit.run(async () => {
      onChange(await call(api.POST('/v1/lab-orders/{id}/cancel', { params: { path } })));
      setConfirming(false);
    });
  const advance = () =>
    submit.run(async () =>
      onChange(await call(api.POST('/v1/demo/lab-orders/{id}/advance', { params: { path } }))),
    );
  return (
    <section aria-labelledby="actions-title">
      <h2 id="actions-title">Actions</h2>
      <div class="actions">
        {demo && !isFinal(order.status) ? (
          <button type="button" disabled={submit.busy} onClick={() => void advance()}>
            Complete at the simulated Junction (demo)
          </button>
        ) : null}
        {cancellable(order) ? (
          <button type="button" class="danger" onClick={() => setConfirming(true)}>
            Cancel order…
          </button>
        ) : null}
      </div>
      {confirming ? (
        <Confirm
          label={`Cancel the lab order of ${title}?`}
          yes="Yes, cancel the order"
          no="Keep it"
          busy={submit.busy}
          onYes={cancel}
          onNo={() => setConfirming(false)}
        >
          Junction cancels the order: its requisition can no longer be used and no sample is analysed. A
          cancelled order cannot be resumed; a new order is needed.
        </Confirm>
      ) : null}
      <Problem error={submit.error} action="change this order" />
    </section>
  );
}

/**
 * The requisition a walk-in patient takes to the lab: offered once the timeline shows Junction
 * made it (`….requisition_created`), never for an order that has none to use (the API answers
 * 409 requisition_not_applicable for those, 404 requisition_not_available before Junction made it).
 */
function Requisition({ order }: { order: LabOrder }) {
  let body;
  if (!hasRequisition(order.status)) {
    body = <Empty>This order has no requisition to use: it is {order.status}.</Empty>;
  } else if (!requisitionMade(order)) {
    body = (
      <Empty>
        Junction has not made the requisition yet; it is offered here once the timeline shows{' '}
        <code>requisition_created</code> (Refresh to look again).
      </Empty>
    );
  } else {
    body = (
      <Download
        label="Download the requisition PDF"
        filename={`requisition-${order.id}.pdf`}
        action="download the requisition"
        fetch={() =>
          call(
            api.GET('/v1/lab-orders/{id}/requisition', {
              params: { path: { id: order.id } },
              parseAs: 'blob',
            }),
          )
        }
      />
    );
  }
  return (
    <section aria-labelledby="requisition-title">
      <h2 id="requisition-title">Requisition</h2>
      {body}
    </section>
  );
}

/** Why an order shows no results (yet). */
function noResultsYet(order: LabOrder): string {
  if (order.status === 'cancelled') return 'The order was cancelled: it has no results.';
  if (order.status === 'rejected' || order.junction_order_id === null)
    return 'Junction did not take the order: it has no results.';
  return `No results yet: the lab reports them once it has the sample, partial results first when it has some (the order is ${orderStatusWords(order.status).toLowerCase()}).`;
}

function Results({ id, final }: { id: string; final: boolean }) {
  const results = useApi(
    () => call(api.GET('/v1/lab-orders/{id}/results', { params: { path: { id } } })),
    [id],
  );
  return (
    <Show loaded={results} what="the results">
      {(r) => (
        <>
          <p>
            {final ? 'Final results' : 'Partial results: the lab has reported these so far; more may follow'},
            reported {dateTime(r.reported_at)}
            {r.sample_id ? `, sample ${r.sample_id}` : ''}.
          </p>
          <Download
            label="Download the results PDF"
            filename={`lab-order-${id}.pdf`}
            action="download the PDF"
            fetch={() =>
              call(api.GET('/v1/lab-orders/{id}/results/pdf', { params: { path: { id } }, parseAs: 'blob' }))
            }
          />
          {r.results.length === 0 ? (
            <Empty>The report has no markers.</Empty>
          ) : (
            <TableWrap label="Results">
              <thead>
                <tr>
                  <th scope="col">Marker</th>
                  <th scope="col">Value</th>
                  <th scope="col">Unit</th>
                  <th scope="col">Range</th>
                  <th scope="col">Flag</th>
                </tr>
              </thead>
              <tbody>
                {r.results.map((m) => {
                  const flag = markerFlag(m);
                  return (
                    <tr key={m.name} class={flag && flag !== 'normal' ? `flagged-${flag}` : undefined}>
                      <td>{m.name}</td>
                      <td>{m.value}</td>
                      <td>{m.unit ?? '—'}</td>
                      <td>
                        {m.min_range_value ?? '…'} – {m.max_range_value ?? '…'}
                      </td>
                      <td>
                        <Flag flag={flag} />
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </TableWrap>
          )}
        </>
      )}
    </Show>
  );
}
