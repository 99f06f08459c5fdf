/**
 * One visit: pricing breakdown, test snapshots (catalog and workspace version), the status moves
 * the lifecycle allows, results entry once collected, and delete. Only what the member's
 * permissions allow is offered.
 */
import { useState } from 'preact/hooks';
import { api, call } from '../api/client';
import type { LabVisit, LabVisitStatus, ResultInput } from '../api/types';
import { href, navigate } from '../router';
import { fieldErrors } from '../field-errors';
import {
  Confirm,
  dateTime,
  Download,
  isoFromLocal,
  localInputValue,
  Empty,
  Field,
  money,
  NotOffered,
  PageTitle,
  Problem,
  Show,
  TableWrap,
  useApi,
  useSubmit,
  valueOf,
} from '../ui';
import { useWorkspace, wsRoute } from './context';
import { allClients, allReferrals, allTests, clientName } from './data';
import { Flag } from '../flags';
import { Status, visitStatusWords } from '../status-words';
import { acceptsResults, MOVE_LABEL, movesFrom } from './lifecycle';

export function VisitPage({ visitId }: { visitId: string }) {
  const { workspace } = useWorkspace();
  const workspaceId = workspace.id;
  const path = { workspaceId, visitId };
  const visit = useApi(
    async () =>
      (await call(api.GET('/v1/workspace/{workspaceId}/labs/visits/{visitId}', { params: { path } })))
        .labVisit,
    [workspaceId, visitId],
  );
  return (
    <Show loaded={visit} what="the visit">
      {(v) => <VisitView visit={v} onChange={visit.setData} />}
    </Show>
  );
}

function VisitView({ visit, onChange }: { visit: LabVisit; onChange: (v: LabVisit) => void }) {
  const { workspace, runLabs } = useWorkspace();
  const workspaceId = workspace.id;
  // Archived ones too: the visit's client or referral may have been archived since.
  const clients = useApi(() => allClients(workspaceId, { archived: true }), [workspaceId]);
  const referrals = useApi(() => allReferrals(workspaceId, { archived: true }), [workspaceId]);
  const client = clients.data?.find((c) => c.id === visit.clientId);
  const referral = referrals.data?.find((r) => r.id === visit.referralId);
  const pricing = visit.labVisitPricing;
  const title = `visit of ${clientName(client, visit.clientId)} on ${dateTime(visit.labVisitDate)}`;
  return (
    <>
      <PageTitle
        secondary={
          <>
            Lab visit <code>{visit.id}</code>
          </>
        }
      >
        Visit of {clientName(client, visit.clientId)} on {dateTime(visit.labVisitDate)}
      </PageTitle>
      <p>
        <a href={href(wsRoute(workspaceId, '/visits'))}>All visits</a>
      </p>
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <Status
            words={visitStatusWords(visit.labVisitStatus)}
            status={visit.labVisitStatus}
            code={visit.labVisitStatus}
            testId="visit-status"
          />
        </dd>
        <dt>Type</dt>
        <dd>{visit.labVisitType}</dd>
        <dt>Referral</dt>
        <dd>{visit.referralId ? (referral?.name ?? visit.referralId) : 'none'}</dd>
        <dt>Notes</dt>
        <dd>{visit.labVisitNotes ?? '—'}</dd>
        <dt>Client</dt>
        <dd>
          <a href={href(wsRoute(workspaceId, `/clients/${visit.clientId}`))}>
            {clientName(client, visit.clientId)}
          </a>
          {client?.archivedAt ? <span class="muted small"> (archived)</span> : null}
        </dd>
        <dt>Booked</dt>
        <dd>{dateTime(visit.createdAt)}</dd>
      </dl>

      <section aria-labelledby="pricing-title">
        <h2 id="pricing-title">Pricing</h2>
        <PricingTable pricing={pricing} label="Visit pricing" />
      </section>

      <section aria-labelledby="tests-title">
        <h2 id="tests-title">Tests</h2>
        <TestsAsBooked visit={visit} />
      </section>

      <section aria-labelledby="status-title">
        <h2 id="status-title">Status</h2>
        {runLabs ? (
          <StatusMoves visit={visit} title={title} onChange={onChange} />
        ) : (
          <NotOffered>Your membership has no labs.run permission: you may not move visits.</NotOffered>
        )}
      </section>

      {runLabs ? <EditVisit visit={visit} onChange={onChange} /> : null}

      <section aria-labelledby="results-title">
        <h2 id="results-title">Results</h2>
        {visit.labVisitStatus === 'cancelled' && visit.labTestResults.length === 0 ? (
          <Empty>The visit was cancelled: no sample was collected, so it has no results.</Empty>
        ) : (
          <ResultsTable visit={visit} />
        )}
        {visit.labVisitStatus === 'cancelled' ? null : !runLabs ? (
          <NotOffered>Your membership has no labs.run permission: you may not enter results.</NotOffered>
        ) : acceptsResults(visit.labVisitStatus) ? (
          <ResultsForm visit={visit} onChange={onChange} />
        ) : (
          <NotOffered>
            Results can be entered once the sample is collected (Mark collected, above).
          </NotOffered>
        )}
      </section>

      <section aria-labelledby="fhir-title">
        <h2 id="fhir-title">FHIR</h2>
        <p>
          The visit as a FHIR R4 Bundle for an EHR: the client, one request per test and, once results are
          entered, the report with one observation per result.
        </p>
        <Download
          label="Download FHIR"
          filename={`lab-visit-${visit.id}.fhir.json`}
          action="download the FHIR Bundle"
          fetch={() =>
            call(
              api.GET('/v1/workspace/{workspaceId}/labs/visits/{visitId}/fhir', {
                params: { path: { workspaceId, visitId: visit.id } },
                parseAs: 'blob',
              }),
            )
          }
        />
      </section>

      {runLabs ? <DeleteVisit visit={visit} title={title} /> : null}
    </>
  );
}

/**
 * The visit's tests with their prices. A workspace price is kept in the visit's snapshot; a
 * catalog price is not (the contract's snapshot has none), so it is read from the catalog now and
 * said to be today's unless the prices add up to the visit's subtotal.
 */
function TestsAsBooked({ visit }: { visit: LabVisit }) {
  const tests = useApi(() => allTests(visit.workspaceId), [visit.workspaceId]);
  const catalog = new Map((tests.data ?? []).map((t) => [t.testId, t.price]));
  const priceOf = (s: LabVisit['labTestSnapshots'][number]) =>
    s.designTest ? s.designTest.price : catalog.get(s.test.testId);
  const prices = visit.labTestSnapshots.map(priceOf);
  const sum = prices.reduce<number>((total, p) => total + (p ?? 0), 0);
  const addsUp =
    prices.every((p) => p !== undefined) &&
    Math.round(sum * 100) === Math.round(visit.labVisitPricing.labVisitSubtotal * 100);
  return (
    <>
      <TableWrap label="Tests as booked">
        <thead>
          <tr>
            <th scope="col">Test</th>
            <th scope="col">Id</th>
            <th scope="col" class="num">
              Price
            </th>
          </tr>
        </thead>
        <tbody>
          {visit.labTestSnapshots.map((s) => {
            const price = priceOf(s);
            return (
              <tr key={s.test.testId}>
                <td>
                  {s.designTest?.testTitle ?? s.test.testTitle}
                  {s.designTest && s.designTest.testTitle !== s.test.testTitle ? (
                    <div class="muted small">catalog: {s.test.testTitle}</div>
                  ) : null}
                </td>
                <td>{s.test.testId}</td>
                <td class="num" data-testid={`test-price-${s.test.testId}`}>
                  {price === undefined ? '…' : money(price)}
                  <div class="muted small">
                    {s.designTest ? 'workspace price' : addsUp ? 'catalog price' : 'catalog price today'}
                  </div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </TableWrap>
      <p class="muted">
        As the tests were when the visit was booked; later catalog or price changes do not alter the visit.
        {tests.data !== undefined && !addsUp
          ? ' The subtotal differs from these prices: it was set by hand at booking, or a catalog price has changed since.'
          : ''}
      </p>
    </>
  );
}

export function PricingTable({ pricing, label }: { pricing: LabVisit['labVisitPricing']; label: string }) {
  return (
    <TableWrap label={label} cards={false}>
      <tbody>
        <tr>
          <th scope="row">Subtotal</th>
          <td class="num" data-testid="subtotal">
            {money(pricing.labVisitSubtotal)}
          </td>
        </tr>
        <tr>
          <th scope="row">Discount{pricing.labCouponCode ? ` (${pricing.labCouponCode})` : ''}</th>
          <td class="num" data-testid="discount">
            {money(pricing.labVisitDiscountAmount)}
          </td>
        </tr>
        <tr class="total">
          <th scope="row">Total</th>
          <td class="num" data-testid="total">
            {money(pricing.labVisitTotal)}
          </td>
        </tr>
      </tbody>
    </TableWrap>
  );
}

function StatusMoves({
  visit,
  title,
  onChange,
}: {
  visit: LabVisit;
  /** what the visit is called: its client and date */
  title: string;
  onChange: (v: LabVisit) => void;
}) {
  const submit = useSubmit();
  const [confirming, setConfirming] = useState(false);
  const moves = movesFrom(visit.labVisitStatus);
  const coupon = visit.labVisitPricing.labCouponCode;
  const move = (to: LabVisitStatus) =>
    submit.run(async () => {
      const { labVisit } = await call(
        api.PATCH('/v1/workspace/{workspaceId}/labs/visits/{visitId}', {
          params: { path: { workspaceId: visit.workspaceId, visitId: visit.id } },
          body: { labVisitStatus: to },
        }),
      );
      setConfirming(false);
      onChange(labVisit);
    });
  return (
    <>
      {moves.length === 0 ? (
        <p class="muted">A {visit.labVisitStatus} visit does not move any further.</p>
      ) : (
        <div class="actions">
          {moves.map((to) => (
            <button
              key={to}
              type="button"
              class={to === 'cancelled' ? 'danger' : undefined}
              disabled={submit.busy}
              onClick={() => (to === 'cancelled' ? setConfirming(true) : void move(to))}
            >
              {MOVE_LABEL[to]}
              {to === 'cancelled' ? '…' : ''}
            </button>
          ))}
        </div>
      )}
      {confirming ? (
        <Confirm
          label={`Cancel the ${title}?`}
          yes="Yes, cancel the visit"
          no="Keep the visit"
          busy={submit.busy}
          onYes={() => move('cancelled')}
          onNo={() => setConfirming(false)}
        >
          A cancelled visit moves no further: it is not collected, takes no results, and cannot be booked
          again (book a new one instead).
          {coupon ? ` Its use of coupon ${coupon} is given back, so the coupon can be used again.` : ''}
        </Confirm>
      ) : null}
      <Problem error={submit.error} action="move this visit" />
    </>
  );
}

/**
 * Reschedule (while pending or scheduled, as the API allows) and the visit's notes. Only what
 * changed is sent; a date in the past is sent only once the user says the visit took place then.
 */
function EditVisit({ visit, onChange }: { visit: LabVisit; onChange: (v: LabVisit) => void }) {
  const reschedulable = visit.labVisitStatus === 'pending' || visit.labVisitStatus === 'scheduled';
  const [date, setDate] = useState(() => localInputValue(new Date(visit.labVisitDate)));
  const [notes, setNotes] = useState(visit.labVisitNotes ?? '');
  const [tookPlace, setTookPlace] = useState(false);
  const [saved, setSaved] = useState(false);
  const submit = useSubmit();
  const iso = isoFromLocal(date);
  const dateChanged = reschedulable && iso !== null && Date.parse(iso) !== Date.parse(visit.labVisitDate);
  const notesChanged = notes.trim() !== (visit.labVisitNotes ?? '');
  const inPast = dateChanged && iso !== null && Date.parse(iso) < Date.now();
  const errors = fieldErrors(submit.error);
  const edit =
    <T,>(set: (value: T) => void) =>
    (value: T) => {
      setSaved(false);
      set(value);
    };
  const save = (event: Event) => {
    event.preventDefault();
    void submit.run(async () => {
      const { labVisit } = await call(
        api.PATCH('/v1/workspace/{workspaceId}/labs/visits/{visitId}', {
          params: { path: { workspaceId: visit.workspaceId, visitId: visit.id } },
          body: {
            ...(dateChanged && iso ? { labVisitDate: iso } : {}),
            ...(inPast && tookPlace ? { allowPastDate: true } : {}),
            ...(notesChanged ? { labVisitNotes: notes.trim() || null } : {}),
          },
        }),
      );
      setTookPlace(false);
      setSaved(true);
      onChange(labVisit);
    });
  };
  return (
    <section aria-labelledby="edit-visit-title">
      <h2 id="edit-visit-title">{reschedulable ? 'Reschedule and notes' : 'Notes'}</h2>
      <form class="grid" onSubmit={save}>
        {reschedulable ? (
          <Field id="v-date" label="Visit date and time" error={errors.get('/labVisitDate')}>
            <input
              id="v-date"
              type="datetime-local"
              required
              value={date}
              onInput={(e) => edit(setDate)(valueOf(e))}
              aria-describedby={inPast ? 'v-date-past' : undefined}
            />
          </Field>
        ) : (
          <p class="muted">A {visitStatusWords(visit.labVisitStatus).toLowerCase()} visit keeps its date.</p>
        )}
        {inPast ? (
          <div class="warning" id="v-date-past">
            <p>This date is in the past.</p>
            <label class="inline">
              <input type="checkbox" checked={tookPlace} onChange={() => setTookPlace(!tookPlace)} />
              The visit took place then: record it on this date
            </label>
          </div>
        ) : null}
        <Field id="v-notes" label="Notes" error={errors.get('/labVisitNotes')}>
          <textarea
            id="v-notes"
            rows={3}
            maxLength={2000}
            value={notes}
            onInput={(e) => edit(setNotes)(valueOf(e))}
          />
        </Field>
        <div class="form-end">
          <button
            type="submit"
            disabled={submit.busy || (!dateChanged && !notesChanged) || (inPast && !tookPlace)}
          >
            Save changes
          </button>
        </div>
      </form>
      {saved ? (
        <p role="status" class="ok" data-testid="visit-saved">
          Saved.
        </p>
      ) : null}
      <Problem error={submit.error} action="change this visit" />
    </section>
  );
}

function ResultsTable({ visit }: { visit: LabVisit }) {
  if (visit.labTestResults.length === 0) return <Empty>No results yet.</Empty>;
  const titles = new Map(
    visit.labTestSnapshots.map((s) => [s.test.testId, s.designTest?.testTitle ?? s.test.testTitle]),
  );
  return (
    <TableWrap label="Results">
      <thead>
        <tr>
          <th scope="col">Test</th>
          <th scope="col">Value</th>
          <th scope="col">Unit</th>
          <th scope="col">Reference range</th>
          <th scope="col">Flag</th>
          <th scope="col">Resulted</th>
        </tr>
      </thead>
      <tbody>
        {visit.labTestResults.map((r) => (
          <tr key={r.testId} class={r.flag && r.flag !== 'normal' ? `flagged-${r.flag}` : undefined}>
            <td>{titles.get(r.testId) ?? r.testId}</td>
            <td>{String(r.value)}</td>
            <td>{r.unit ?? '—'}</td>
            <td>{r.referenceRange ?? '—'}</td>
            <td>
              <Flag flag={r.flag} testId={`flag-${r.testId}`} />
            </td>
            <td>{dateTime(r.resultedAt)}</td>
          </tr>
        ))}
      </tbody>
    </TableWrap>
  );
}

const FLAGS = ['normal', 'low', 'high', 'abnormal', 'critical'] as const;
const FLAG_WORDS: Record<(typeof FLAGS)[number], string> = {
  normal: 'Normal',
  low: 'Low',
  high: 'High',
  abnormal: 'Abnormal',
  critical: 'Critical',
};

interface ResultDraft {
  value: string;
  unit: string;
  referenceRange: string;
  flag: string;
}

/** A number when the text is one ("5.2"), else the text ("negative", "<0.5"). */
const resultValue = (text: string): number | string =>
  /^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : text.trim();

/** A saved result as the form shows it, so that what was saved stays in view and can be corrected. */
const draftOf = (saved: LabVisit['labTestResults'][number] | undefined): ResultDraft => ({
  value: saved ? String(saved.value) : '',
  unit: saved?.unit ?? '',
  referenceRange: saved?.referenceRange ?? '',
  flag: saved?.flag ?? '',
});

const sameDraft = (a: ResultDraft, b: ResultDraft): boolean =>
  a.value.trim() === b.value.trim() &&
  a.unit.trim() === b.unit.trim() &&
  a.referenceRange.trim() === b.referenceRange.trim() &&
  a.flag === b.flag;

function ResultsForm({ visit, onChange }: { visit: LabVisit; onChange: (v: LabVisit) => void }) {
  const saved = new Map(visit.labTestResults.map((r) => [r.testId, draftOf(r)]));
  const [drafts, setDrafts] = useState<Record<number, ResultDraft>>({});
  const [savedNames, setSavedNames] = useState<string[]>([]);
  const submit = useSubmit();
  const draft = (testId: number) => drafts[testId] ?? saved.get(testId) ?? draftOf(undefined);
  const set = (testId: number, name: keyof ResultDraft) => (event: Event) => {
    setSavedNames([]);
    setDrafts({ ...drafts, [testId]: { ...draft(testId), [name]: valueOf(event) } });
  };
  // Only what changed is sent: a result sent again would be "resulted" again.
  const filled = visit.labTestSnapshots.filter((s) => {
    const d = draft(s.test.testId);
    return d.value.trim() !== '' && !sameDraft(d, saved.get(s.test.testId) ?? draftOf(undefined));
  });
  const save = (event: Event) => {
    event.preventDefault();
    void submit.run(async () => {
      const labTestResults: ResultInput[] = filled.map((s) => {
        const d = draft(s.test.testId);
        return {
          testId: s.test.testId,
          value: resultValue(d.value),
          unit: d.unit.trim() || null,
          referenceRange: d.referenceRange.trim() || null,
          flag: (d.flag || null) as ResultInput['flag'],
        };
      });
      const { labVisit } = await call(
        api.POST('/v1/workspace/{workspaceId}/labs/visits/{visitId}/results', {
          params: { path: { workspaceId: visit.workspaceId, visitId: visit.id } },
          body: { labTestResults },
        }),
      );
      // The form now shows what was saved (the visit's results), and says so.
      setDrafts({});
      setSavedNames(filled.map((s) => s.designTest?.testTitle ?? s.test.testTitle));
      onChange(labVisit);
    });
  };
  return (
    <form onSubmit={save} aria-labelledby="enter-results-title">
      <h3 id="enter-results-title">Enter results</h3>
      <p class="muted">
        Fill in the tests that have a result; a new result for a test replaces its earlier one. Saved results
        stay in the form, to correct them.
      </p>
      {visit.labTestSnapshots.map((s) => {
        const id = s.test.testId;
        const title = s.designTest?.testTitle ?? s.test.testTitle;
        return (
          <fieldset key={id} class="result-row">
            <legend>
              {title} ({id})
            </legend>
            <Field id={`r-${id}-value`} label={`${title} value`}>
              <input
                id={`r-${id}-value`}
                maxLength={200}
                value={draft(id).value}
                onInput={set(id, 'value')}
              />
            </Field>
            <Field id={`r-${id}-unit`} label={`${title} unit`}>
              <input id={`r-${id}-unit`} maxLength={50} value={draft(id).unit} onInput={set(id, 'unit')} />
            </Field>
            <Field id={`r-${id}-range`} label={`${title} reference range`}>
              <input
                id={`r-${id}-range`}
                maxLength={100}
                value={draft(id).referenceRange}
                onInput={set(id, 'referenceRange')}
              />
            </Field>
            <Field id={`r-${id}-flag`} label={`${title} flag`}>
              <select id={`r-${id}-flag`} value={draft(id).flag} onChange={set(id, 'flag')}>
                <option value="">none</option>
                {FLAGS.map((f) => (
                  <option key={f} value={f}>
                    {FLAG_WORDS[f]}
                  </option>
                ))}
              </select>
            </Field>
          </fieldset>
        );
      })}
      <button type="submit" disabled={submit.busy || filled.length === 0}>
        Save results
      </button>
      {savedNames.length > 0 ? (
        <p role="status" class="ok" data-testid="results-saved">
          Saved: {savedNames.join(', ')}.
        </p>
      ) : null}
      <Problem error={submit.error} action="enter results" />
    </form>
  );
}

function DeleteVisit({ visit, title }: { visit: LabVisit; title: string }) {
  const [confirming, setConfirming] = useState(false);
  const submit = useSubmit();
  const remove = () =>
    submit.run(async () => {
      await call(
        api.DELETE('/v1/workspace/{workspaceId}/labs/visits/{visitId}', {
          params: { path: { workspaceId: visit.workspaceId, visitId: visit.id } },
        }),
      );
      navigate(wsRoute(visit.workspaceId, '/visits'));
    });
  return (
    <section aria-labelledby="delete-title">
      <h2 id="delete-title">Delete</h2>
      <button type="button" class="danger" onClick={() => setConfirming(true)}>
        Delete visit…
      </button>
      {confirming ? (
        <Confirm
          label={`Delete the ${title}?`}
          yes="Yes, delete the visit"
          no="Keep it"
          busy={submit.busy}
          onYes={remove}
          onNo={() => setConfirming(false)}
        >
          It disappears from every list and read, with its results. This cannot be undone.
        </Confirm>
      ) : null}
    </section>
  );
}
