/**
 * Booking a visit: client, referral, type, tests from the workspace's catalog with its prices,
 * date, notes, coupon and, for the owner or a labs.price_override holder, an optional subtotal. The
 * price shows live from the quote route (the create's body and checks; it redeems and writes
 * nothing), so a bad coupon shows the API's reason before booking, and booking waits until the
 * quote is good. A date in the past is flagged and booked only once the user says the visit
 * already took place (allowPastDate). The booking carries an Idempotency-Key, so a double submit
 * books once.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, call } from '../api/client';
import type { NewVisit, VisitQuote } from '../api/types';
import { navigate, routeQuery } from '../router';
import {
  Field,
  isoFromLocal,
  localInputValue,
  money,
  NotOffered,
  PageTitle,
  Problem,
  Show,
  useApi,
  useSubmit,
  valueOf,
} from '../ui';
import { fieldErrors } from '../field-errors';
import { useWorkspace, wsRoute } from './context';
import { allClients, allReferrals, allTests, clientName, testPrice, testTitle } from './data';
import { PricingTable } from './visit';

const QUOTE_DELAY_MS = 250;

function tomorrowAtNine(): string {
  const d = new Date();
  d.setDate(d.getDate() + 1);
  d.setHours(9, 0, 0, 0);
  return localInputValue(d);
}

export function BookVisitPage() {
  const { workspace, runLabs, overridePrice } = useWorkspace();
  if (!runLabs) {
    return (
      <>
        <PageTitle>Book a visit</PageTitle>
        <NotOffered>Your membership has no labs.run permission: you may not book visits.</NotOffered>
      </>
    );
  }
  return <BookVisitForm workspaceId={workspace.id} overridePrice={overridePrice} />;
}

function BookVisitForm({ workspaceId, overridePrice }: { workspaceId: string; overridePrice: boolean }) {
  const lists = useApi(async () => {
    const [clients, referrals, tests] = await Promise.all([
      allClients(workspaceId),
      allReferrals(workspaceId),
      allTests(workspaceId),
    ]);
    return { clients, referrals, tests };
  }, [workspaceId]);
  // A client's page books for them: `/visits/new?client=<id>`.
  const [clientId, setClientId] = useState(() => routeQuery().get('client') ?? '');
  const [referralId, setReferralId] = useState('');
  const [type, setType] = useState<NewVisit['labVisitType']>('in-lab');
  const [testIds, setTestIds] = useState<number[]>([]);
  const [date, setDate] = useState(tomorrowAtNine);
  const [notes, setNotes] = useState('');
  const [coupon, setCoupon] = useState('');
  const [subtotal, setSubtotal] = useState('');
  const [tookPlace, setTookPlace] = useState(false);
  const [idempotencyKey, setIdempotencyKey] = useState(() => crypto.randomUUID());
  const submit = useSubmit();

  const labVisitDate = isoFromLocal(date);
  const inPast = labVisitDate !== null && Date.parse(labVisitDate) < Date.now();
  const body = useMemo((): NewVisit | null => {
    if (!clientId || testIds.length === 0 || labVisitDate === null) return null;
    return {
      clientId,
      referralId: referralId || null,
      labVisitType: type,
      labTestIds: testIds,
      labVisitDate,
      labVisitNotes: notes.trim() || null,
      labCouponCode: coupon.trim() || null,
      labVisitSubtotal: !overridePrice || subtotal.trim() === '' ? null : Number(subtotal),
      ...(inPast && tookPlace ? { allowPastDate: true } : {}),
    };
  }, [
    clientId,
    referralId,
    type,
    testIds,
    labVisitDate,
    notes,
    coupon,
    subtotal,
    overridePrice,
    inPast,
    tookPlace,
  ]);

  const quote = useQuote(workspaceId, body);

  const book = (event: Event) => {
    event.preventDefault();
    if (body === null) return;
    void submit.run(async () => {
      const { labVisit } = await call(
        api.POST('/v1/workspace/{workspaceId}/labs/visits', {
          params: { path: { workspaceId }, header: { 'idempotency-key': idempotencyKey } },
          body,
        }),
      );
      setIdempotencyKey(crypto.randomUUID());
      navigate(wsRoute(workspaceId, `/visits/${labVisit.id}`));
    });
  };
  /** A field the quote or the booking refused, in words. */
  const fieldError = (path: string) =>
    fieldErrors(submit.error).get(path) ?? fieldErrors(quote.error).get(path);
  const toggleTest = (id: number) =>
    setTestIds(testIds.includes(id) ? testIds.filter((t) => t !== id) : [...testIds, id]);

  return (
    <>
      <PageTitle>Book a visit</PageTitle>
      <Show loaded={lists} what="clients, referrals and tests">
        {({ clients, referrals, tests }) => (
          <form class="book" onSubmit={book}>
            <div class="form-main">
              <Field id="b-client" label="Client">
                <select id="b-client" required value={clientId} onChange={(e) => setClientId(valueOf(e))}>
                  <option value="">Choose a client…</option>
                  {clients.map((c) => (
                    <option key={c.id} value={c.id}>
                      {clientName(c, c.id)}
                    </option>
                  ))}
                </select>
              </Field>
              <Field id="b-referral" label="Referral (optional)">
                <select id="b-referral" value={referralId} onChange={(e) => setReferralId(valueOf(e))}>
                  <option value="">None</option>
                  {referrals
                    .filter((r) => r.clientId === null || r.clientId === clientId)
                    .map((r) => (
                      <option key={r.id} value={r.id}>
                        {r.name}
                      </option>
                    ))}
                </select>
              </Field>
              <fieldset>
                <legend>Visit type</legend>
                {(['in-lab', 'at-home'] as const).map((t) => (
                  <label key={t} class="inline">
                    <input
                      type="radio"
                      name="b-type"
                      value={t}
                      checked={type === t}
                      onChange={() => setType(t)}
                    />
                    {t === 'in-lab' ? 'In the lab' : 'At home'}
                  </label>
                ))}
              </fieldset>
              <fieldset>
                <legend>Tests</legend>
                <ul class="checks">
                  {tests.map((t) => (
                    <li key={t.testId}>
                      <label class="inline">
                        <input
                          type="checkbox"
                          value={t.testId}
                          checked={testIds.includes(t.testId)}
                          onChange={() => toggleTest(t.testId)}
                        />
                        {testTitle(t)} <span class="muted">({t.testId})</span> {money(testPrice(t))}
                        {t.designTest ? <span class="muted"> workspace price</span> : null}
                      </label>
                    </li>
                  ))}
                </ul>
              </fieldset>
              <Field id="b-date" label="Visit date and time" error={fieldError('/labVisitDate')}>
                <input
                  id="b-date"
                  type="datetime-local"
                  required
                  value={date}
                  onInput={(e) => setDate(valueOf(e))}
                  aria-describedby={inPast ? 'b-date-past' : undefined}
                />
              </Field>
              {inPast ? (
                <div class="warning" id="b-date-past">
                  <p>This date is in the past.</p>
                  <label class="inline">
                    <input type="checkbox" checked={tookPlace} onChange={() => setTookPlace(!tookPlace)} />
                    The visit already took place: record it on this date
                  </label>
                </div>
              ) : null}
              <Field id="b-notes" label="Notes (optional)" error={fieldError('/labVisitNotes')}>
                <textarea
                  id="b-notes"
                  rows={3}
                  maxLength={2000}
                  value={notes}
                  onInput={(e) => setNotes(valueOf(e))}
                />
              </Field>
              <Field id="b-coupon" label="Coupon code (optional)" error={fieldError('/labCouponCode')}>
                <input
                  id="b-coupon"
                  maxLength={200}
                  autocomplete="off"
                  value={coupon}
                  onInput={(e) => setCoupon(valueOf(e))}
                />
              </Field>
              {overridePrice ? (
                <Field
                  id="b-subtotal"
                  label="Subtotal (optional)"
                  hint="Leave empty to charge the sum of the tests' prices."
                  error={fieldError('/labVisitSubtotal')}
                >
                  <input
                    id="b-subtotal"
                    type="number"
                    min="0"
                    step="0.01"
                    inputMode="decimal"
                    aria-describedby="b-subtotal-hint"
                    value={subtotal}
                    onInput={(e) => setSubtotal(valueOf(e))}
                  />
                </Field>
              ) : null}
            </div>
            <aside class="quote" aria-labelledby="quote-title">
              <h2 id="quote-title">Price</h2>
              <div aria-live="polite">
                {body === null ? (
                  <p class="muted">Choose a client and at least one test to see the price.</p>
                ) : quote.error ? (
                  <Problem error={quote.error} action="price this visit" />
                ) : quote.data ? (
                  <PricingTable pricing={quote.data.labVisitPricing} label="Live price" />
                ) : (
                  <p class="muted">Pricing…</p>
                )}
              </div>
              <button type="submit" disabled={body === null || quote.data === null || submit.busy}>
                Book visit
              </button>
              <Problem error={submit.error} action="book this visit" />
            </aside>
          </form>
        )}
      </Show>
    </>
  );
}

/** The quote for `body`, asked again a moment after the form stops changing; the latest answer wins. */
function useQuote(workspaceId: string, body: NewVisit | null): { data: VisitQuote | null; error: unknown } {
  const [state, setState] = useState<{ data: VisitQuote | null; error: unknown }>({
    data: null,
    error: null,
  });
  const key = body === null ? null : JSON.stringify(body);
  useEffect(() => {
    setState({ data: null, error: null });
    if (body === null) return;
    let current = true;
    const timer = setTimeout(() => {
      call(
        api.POST('/v1/workspace/{workspaceId}/labs/visits/quote', {
          params: { path: { workspaceId } },
          body,
        }),
      ).then(
        (data) => current && setState({ data, error: null }),
        (error: unknown) => current && setState({ data: null, error }),
      );
    }, QUOTE_DELAY_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
    // `key` stands for `body`: a new object with the same content asks nothing new.
  }, [workspaceId, key]);
  return state;
}
