/**
 * Webhook endpoints on either surface (docs/webhooks.md): the list and a new endpoint (its
 * signing secret shown once), and one endpoint with enable/disable, secret rotation (the new
 * secret shown once), delete, recover since a time, and its deliveries log with resend.
 */
import { useState } from 'preact/hooks';
import { href, navigate, useRouteQuery } from '../router';
import { deliveryStatusWords, Status } from '../status-words';
import { fieldErrors } from '../field-errors';
import {
  Confirm,
  dateTime,
  Empty,
  Field,
  isoFromLocal,
  localInputValue,
  PageTitle,
  PagerIfMore,
  Problem,
  Show,
  ShownOnce,
  TableWrap,
  useApi,
  useCursorPages,
  useSubmit,
  valueOf,
} from '../ui';
import {
  DELIVERY_STATUSES,
  type Delivery,
  type DeliveryStatus,
  type Endpoint,
  type WebhookSurface,
} from './surface';

const PAGE_SIZE = 20;

const stateOf = (e: Endpoint): string =>
  e.enabled ? 'enabled' : `disabled${e.disabledReason ? `: ${e.disabledReason}` : ''}`;

/** A signing secret, in the one answer that shows it. */
function SecretOnce({ endpoint, what }: { endpoint: Endpoint; what: string }) {
  if (!endpoint.secret) return null;
  return (
    <ShownOnce title={`Signing secret ${what}`} value={endpoint.secret} testId="webhook-secret">
      Shown only this once: keep it where the receiver verifies signatures (any Standard Webhooks library). No
      later page shows it again.
    </ShownOnce>
  );
}

export function EndpointsPage({ surface }: { surface: WebhookSurface }) {
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const endpoints = useApi(() => surface.list(cursor), [surface, cursor]);
  const [created, setCreated] = useState<Endpoint | null>(null);
  const brandColumn = surface.brands !== undefined;
  return (
    <>
      <PageTitle>Webhook endpoints</PageTitle>
      <p class="muted">
        Every event of {brandColumn ? 'your brands' : 'this workspace'} of the types an endpoint takes is
        POSTed to its URL, signed, and retried until the receiver answers 2xx.
      </p>
      {created ? <SecretOnce endpoint={created} what={`of ${created.url}`} /> : null}
      <Show loaded={endpoints} what="webhook endpoints">
        {({ items, next }) => (
          <>
            {items.length === 0 ? (
              <Empty>No webhook endpoints yet.</Empty>
            ) : (
              <TableWrap label="Webhook endpoints">
                <thead>
                  <tr>
                    <th scope="col">URL</th>
                    {brandColumn ? <th scope="col">Brand</th> : null}
                    <th scope="col">Events</th>
                    <th scope="col">State</th>
                    <th scope="col">Created</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((e) => (
                    <tr key={e.id}>
                      <td class="wrap">
                        <a href={href(surface.endpointRoute(e.id))}>{e.url}</a>
                        {e.description ? <div class="muted small">{e.description}</div> : null}
                      </td>
                      {brandColumn ? <td>{e.owner}</td> : null}
                      <td>{e.events.join(', ')}</td>
                      <td>
                        {stateOf(e)}
                        <EndpointHealth surface={surface} endpointId={e.id} />
                      </td>
                      <td>{dateTime(e.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </TableWrap>
            )}
            <PagerIfMore pages={pages} nextCursor={next} />
          </>
        )}
      </Show>
      <NewEndpointForm
        surface={surface}
        onCreated={(endpoint) => {
          setCreated(endpoint);
          pages.restart();
          endpoints.reload();
        }}
      />
    </>
  );
}

function NewEndpointForm({
  surface,
  onCreated,
}: {
  surface: WebhookSurface;
  onCreated: (endpoint: Endpoint) => void;
}) {
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<string[]>([...surface.eventTypes]);
  const [brand, setBrand] = useState(surface.brands?.[0] ?? '');
  const submit = useSubmit();
  const errors = fieldErrors(submit.error);
  const toggle = (type: string) =>
    setEvents(events.includes(type) ? events.filter((t) => t !== type) : [...events, type]);
  const save = (event: Event) => {
    event.preventDefault();
    void submit.run(async () => {
      const endpoint = await surface.create({
        url: url.trim(),
        events,
        description: description.trim() || null,
        ...(surface.brands !== undefined ? { brandId: brand.trim() } : {}),
      });
      setUrl('');
      setDescription('');
      onCreated(endpoint);
    });
  };
  return (
    <section aria-labelledby="new-endpoint-title">
      <h2 id="new-endpoint-title">New endpoint</h2>
      <form class="grid" onSubmit={save}>
        <Field
          id="w-url"
          label="URL"
          hint="https (http to a private address only outside production)."
          error={errors.get('/url')}
        >
          <input
            id="w-url"
            type="url"
            required
            maxLength={2048}
            autocomplete="off"
            spellcheck={false}
            aria-describedby="w-url-hint"
            value={url}
            onInput={(e) => setUrl(valueOf(e))}
          />
        </Field>
        {surface.brands !== undefined ? (
          <Field id="w-brand" label="Brand">
            {surface.brands ? (
              <select id="w-brand" value={brand} onChange={(e) => setBrand(valueOf(e))}>
                {surface.brands.map((b) => (
                  <option key={b} value={b}>
                    {b}
                  </option>
                ))}
              </select>
            ) : (
              <input
                id="w-brand"
                required
                maxLength={128}
                value={brand}
                onInput={(e) => setBrand(valueOf(e))}
              />
            )}
          </Field>
        ) : null}
        <Field id="w-description" label="Description (optional)" error={errors.get('/description')}>
          <input
            id="w-description"
            maxLength={500}
            value={description}
            onInput={(e) => setDescription(valueOf(e))}
          />
        </Field>
        <fieldset>
          <legend>Events</legend>
          {surface.eventTypes.map((type) => (
            <label key={type} class="inline">
              <input type="checkbox" checked={events.includes(type)} onChange={() => toggle(type)} />
              {type}
            </label>
          ))}
        </fieldset>
        <div class="form-end">
          <button type="submit" disabled={submit.busy || events.length === 0}>
            Add endpoint
          </button>
        </div>
      </form>
      <Problem error={submit.error} action="add a webhook endpoint" />
    </section>
  );
}

export function EndpointPage({ surface, id }: { surface: WebhookSurface; id: string }) {
  const endpoint = useApi(() => surface.get(id), [surface, id]);
  return (
    <Show loaded={endpoint} what="the webhook endpoint">
      {(e) => <EndpointView surface={surface} endpoint={e} onChange={endpoint.setData} />}
    </Show>
  );
}

function EndpointView({
  surface,
  endpoint,
  onChange,
}: {
  surface: WebhookSurface;
  endpoint: Endpoint;
  onChange: (e: Endpoint) => void;
}) {
  const [confirming, setConfirming] = useState<'rotate' | 'delete' | null>(null);
  const [rotated, setRotated] = useState<Endpoint | null>(null);
  const submit = useSubmit();
  const id = endpoint.id;
  const act = (action: () => Promise<void>) => void submit.run(action);
  const stopConfirming = () => setConfirming(null);
  return (
    <>
      <PageTitle
        secondary={
          <>
            Webhook endpoint <code>{id}</code>
            {endpoint.description ? `, ${endpoint.description}` : ''}
          </>
        }
      >
        {endpoint.url}
      </PageTitle>
      <p>
        <a href={href(surface.listRoute)}>All webhook endpoints</a>
      </p>
      <dl class="facts">
        <dt>URL</dt>
        <dd>
          <code>{endpoint.url}</code>
        </dd>
        <dt>{surface.brands !== undefined ? 'Brand' : 'Workspace'}</dt>
        <dd>{endpoint.owner}</dd>
        <dt>Events</dt>
        <dd>{endpoint.events.join(', ')}</dd>
        <dt>Description</dt>
        <dd>{endpoint.description ?? '—'}</dd>
        <dt>State</dt>
        <dd data-testid="endpoint-state">{stateOf(endpoint)}</dd>
        <dt>Previous secret</dt>
        <dd>
          {endpoint.previousSecretExpiresAt
            ? `signs too until ${dateTime(endpoint.previousSecretExpiresAt)}`
            : 'none'}
        </dd>
        <dt>Created</dt>
        <dd>{dateTime(endpoint.createdAt)}</dd>
      </dl>

      <section aria-labelledby="endpoint-actions-title">
        <h2 id="endpoint-actions-title">Actions</h2>
        <div class="actions">
          <button
            type="button"
            class="secondary"
            disabled={submit.busy}
            onClick={() => act(async () => onChange(await surface.setEnabled(id, !endpoint.enabled)))}
          >
            {endpoint.enabled ? 'Disable' : 'Enable'}
          </button>
          <button
            type="button"
            class="secondary"
            disabled={submit.busy}
            onClick={() => setConfirming('rotate')}
          >
            Rotate secret…
          </button>
          <button type="button" class="danger" onClick={() => setConfirming('delete')}>
            Delete endpoint…
          </button>
        </div>
        {confirming === 'rotate' ? (
          <Confirm
            label={`Rotate the signing secret of ${endpoint.url}?`}
            yes="Yes, rotate it"
            no="Keep the secret"
            busy={submit.busy}
            onYes={() =>
              submit.run(async () => {
                const next = await surface.rotateSecret(id);
                setRotated(next);
                onChange(next);
                setConfirming(null);
              })
            }
            onNo={stopConfirming}
          >
            A new secret signs every delivery from now on; it is shown once, on this page. The current secret
            keeps signing too for 24 hours, then stops: put the new one in the receiver before then.
          </Confirm>
        ) : null}
        {confirming === 'delete' ? (
          <Confirm
            label={`Delete the webhook endpoint ${endpoint.url}?`}
            yes="Yes, delete it"
            no="Keep it"
            busy={submit.busy}
            onYes={() =>
              submit.run(async () => {
                await surface.remove(id);
                navigate(surface.listRoute);
              })
            }
            onNo={stopConfirming}
          >
            No event is sent to it any more, and its deliveries log is deleted with it. This cannot be undone.
          </Confirm>
        ) : null}
        <Problem error={submit.error} action="change this endpoint" />
      </section>
      {rotated ? (
        <SecretOnce
          endpoint={rotated}
          what="after the rotation (the previous one keeps signing for 24 hours)"
        />
      ) : null}
      <Deliveries surface={surface} endpointId={id} />
    </>
  );
}

function Deliveries({ surface, endpointId }: { surface: WebhookSurface; endpointId: string }) {
  // The status filter lives in the route (`…/webhooks/<id>?status=failed`), as the lists' filters do.
  const [query, setQuery] = useRouteQuery();
  const status = (query.get('status') ?? '') as DeliveryStatus | '';
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const deliveries = useApi(
    () =>
      surface.deliveries(endpointId, {
        limit: PAGE_SIZE,
        ...(status ? { status } : {}),
        ...(cursor ? { cursor } : {}),
      }),
    [surface, endpointId, status, cursor],
  );
  const resend = useSubmit();
  const resendOf = (d: Delivery) =>
    void resend.run(async () => {
      await surface.resend(endpointId, d.eventId);
      pages.restart();
      deliveries.reload();
    });
  return (
    <section aria-labelledby="deliveries-title">
      <h2 id="deliveries-title">Deliveries</h2>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter deliveries">
        <Field id="d-status" label="Delivery status">
          <select
            id="d-status"
            value={status}
            onChange={(e) => {
              setQuery({ status: valueOf(e) });
              pages.restart();
            }}
          >
            <option value="">Any status</option>
            {DELIVERY_STATUSES.map((s) => (
              <option key={s} value={s}>
                {deliveryStatusWords(s)}
              </option>
            ))}
          </select>
        </Field>
        <div class="form-end">
          <button type="button" class="secondary" onClick={deliveries.reload}>
            Refresh
          </button>
        </div>
      </form>
      <Problem error={resend.error} action="resend this event" />
      <Show loaded={deliveries} what="deliveries">
        {({ items, next }) => (
          <>
            {items.length === 0 ? (
              <Empty>No deliveries{status ? ` ${status}` : ''} yet.</Empty>
            ) : (
              <TableWrap label="Deliveries">
                <thead>
                  <tr>
                    <th scope="col">Created</th>
                    <th scope="col">Event</th>
                    <th scope="col">Cause</th>
                    <th scope="col">Status</th>
                    <th scope="col">Attempts</th>
                    <th scope="col">Next attempt</th>
                    <th scope="col">Resend</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((d) => (
                    <tr key={d.id}>
                      <td>{dateTime(d.createdAt)}</td>
                      <td class="wrap">
                        {d.eventType}
                        <div class="muted small">
                          <code>{d.eventId}</code>
                        </div>
                        <DeliveryDetails surface={surface} delivery={d} />
                      </td>
                      <td>
                        {CAUSE[d.trigger] ?? d.trigger} <code class="muted small">{d.trigger}</code>
                      </td>
                      <td>
                        <Status
                          words={
                            d.status === 'pending' && d.attempts.length > 0
                              ? 'Retrying'
                              : deliveryStatusWords(d.status)
                          }
                          status={d.status}
                          code={d.status}
                        />
                      </td>
                      <td>
                        {d.attempts.length === 0 ? (
                          'none yet'
                        ) : (
                          <ol class="attempts">
                            {d.attempts.map((a, i) => (
                              <li key={i}>
                                {a.responseStatus !== null
                                  ? `HTTP ${a.responseStatus}`
                                  : (a.error ?? 'no answer')}{' '}
                                <span class="muted small">
                                  in {a.durationMs} ms, {dateTime(a.at)}
                                </span>
                              </li>
                            ))}
                          </ol>
                        )}
                      </td>
                      <td>{dateTime(d.nextAttemptAt)}</td>
                      <td>
                        <button
                          type="button"
                          class="secondary"
                          disabled={resend.busy}
                          aria-label={`Resend ${d.eventType} ${d.eventId}`}
                          onClick={() => resendOf(d)}
                        >
                          Resend
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </TableWrap>
            )}
            <PagerIfMore pages={pages} nextCursor={next} />
          </>
        )}
      </Show>
      <Recover
        surface={surface}
        endpointId={endpointId}
        onQueued={() => {
          pages.restart();
          deliveries.reload();
        }}
      />
    </section>
  );
}

/** Why a delivery was made, in words (its `trigger`). */
const CAUSE: Record<string, string> = {
  event: 'Sent when the event happened',
  resend: 'Sent again by a resend',
  recover: 'Sent again by a recovery of missed events',
};

/** An attempt's outcome: the receiver's HTTP status, or why there was none. */
const outcomeOf = (a: Delivery['attempts'][number]): string =>
  a.responseStatus !== null ? `HTTP ${a.responseStatus}` : (a.error ?? 'no answer');

/**
 * A delivery opened up: why it was made, each attempt's answer from the receiver (its first KiB),
 * and the event's payload as sent (read when opened) with a link to the order or visit it is about.
 */
function DeliveryDetails({ surface, delivery }: { surface: WebhookSurface; delivery: Delivery }) {
  const [open, setOpen] = useState(false);
  return (
    <details class="delivery-details" onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary>Payload and answers</summary>
      <p class="small">{CAUSE[delivery.trigger] ?? delivery.trigger}.</p>
      {delivery.attempts.length === 0 ? <p class="muted small">No attempt yet.</p> : null}
      {delivery.attempts.map((a, i) => (
        <div key={i} class="small">
          <strong>
            Attempt {i + 1}: {outcomeOf(a)}
          </strong>{' '}
          <span class="muted">
            {dateTime(a.at)}, {a.durationMs} ms
          </span>
          {a.responseBody ? (
            <pre class="payload" data-testid="receiver-answer">
              {a.responseBody}
            </pre>
          ) : (
            <p class="muted">The receiver answered no body.</p>
          )}
        </div>
      ))}
      {open ? <EventPayload surface={surface} eventId={delivery.eventId} /> : null}
    </details>
  );
}

function EventPayload({ surface, eventId }: { surface: WebhookSurface; eventId: string }) {
  const event = useApi(() => surface.event(eventId), [surface, eventId]);
  return (
    <Show loaded={event} what="the event">
      {({ payload, objectRoute }) => (
        <div class="small">
          {objectRoute ? (
            <p>
              <a href={href(objectRoute)}>Open what the event is about</a>
            </p>
          ) : null}
          <strong>Payload</strong>
          <pre class="payload" data-testid="event-payload">
            {JSON.stringify(payload, null, 2)}
          </pre>
        </div>
      )}
    </Show>
  );
}

/**
 * An endpoint that keeps failing says so in the list: its latest deliveries are read, and a failed
 * latest one (or one still retrying after failed attempts) is shown with its last answer.
 */
function EndpointHealth({ surface, endpointId }: { surface: WebhookSurface; endpointId: string }) {
  const latest = useApi(() => surface.deliveries(endpointId, { limit: 5 }), [surface, endpointId]);
  const items = latest.data?.items ?? [];
  const last = items[0];
  if (!last) return null;
  const lastAttempt = last.attempts[last.attempts.length - 1];
  const failing = last.status === 'failed' || (last.status === 'pending' && last.attempts.length > 0);
  if (!failing) return null;
  const failed = items.filter((d) => d.status !== 'succeeded').length;
  return (
    <div class="failing" data-testid="endpoint-failing">
      Failing: {failed === items.length ? `the last ${failed}` : `${failed} of the last ${items.length}`}{' '}
      {failed === 1 ? 'delivery' : 'deliveries'} did not get through
      {lastAttempt ? ` (${outcomeOf(lastAttempt)})` : ''}.
    </div>
  );
}

function Recover({
  surface,
  endpointId,
  onQueued,
}: {
  surface: WebhookSurface;
  endpointId: string;
  onQueued: () => void;
}) {
  const [since, setSince] = useState(() => localInputValue(new Date(Date.now() - 3_600_000)));
  const [queued, setQueued] = useState<number | null>(null);
  const submit = useSubmit();
  const save = (event: Event) => {
    event.preventDefault();
    void submit.run(async () => {
      const from = isoFromLocal(since);
      if (from === null) throw new Error('Give the time to recover from.');
      setQueued(await surface.recover(endpointId, from));
      onQueued();
    });
  };
  return (
    <section aria-labelledby="recover-title">
      <h3 id="recover-title">Recover</h3>
      <p class="muted">
        Sends again every event since then that this endpoint takes and did not receive (its delivery failed,
        or it came while the endpoint was disabled). Nothing already received is sent again.
      </p>
      <form class="grid" onSubmit={save}>
        <Field id="r-since" label="Since">
          <input
            id="r-since"
            type="datetime-local"
            required
            value={since}
            onInput={(e) => setSince(valueOf(e))}
          />
        </Field>
        <div class="form-end">
          <button type="submit" disabled={submit.busy}>
            Recover
          </button>
        </div>
      </form>
      {queued !== null ? (
        <p role="status" data-testid="recovered">
          {queued === 1 ? '1 event queued' : `${queued} events queued`} for delivery again.
        </p>
      ) : null}
      <Problem error={submit.error} action="recover events" />
    </section>
  );
}
