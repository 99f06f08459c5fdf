/**
 * A brand's operator places a lab order (POST /v1/lab-orders): brand, patient (a new one, or an id
 * the brand already uses), demographics, address, panel. The Idempotency-Key is made once per form
 * and kept for every retry of the same submission (a double click, a retry after a network error
 * or a 502), so the order is placed once; a changed form is a new submission with a new key. Once
 * placed, the order's page opens, to follow it.
 */
import { useRef, useState } from 'preact/hooks';
import { api, call } from '../api/client';
import type { RequestBody } from '../api/types';
import { fieldErrors, phoneOf } from '../field-errors';
import { href, navigate } from '../router';
import { can, useSignedIn } from '../signed-in';
import { Field, NotOffered, PageTitle, Problem, useSubmit, valueOf } from '../ui';
import { panelName } from './names';

type NewOrder = RequestBody<'createLabOrder'>;
const PANELS: NewOrder['panel_id'][] = ['hashimotos', 'pcos', 'fertility'];
const GENDERS = [
  ['female', 'Female'],
  ['male', 'Male'],
  ['other', 'Other'],
  ['unknown', 'Unknown'],
] as const;

const BLANK = {
  patientId: '',
  firstName: '',
  lastName: '',
  dob: '',
  email: '',
  gender: 'female',
  phone: '',
  line1: '',
  line2: '',
  city: '',
  state: '',
  zip: '',
  country: 'US',
};
type Draft = typeof BLANK;

export function PlaceOrderPage() {
  const { me } = useSignedIn();
  if (!can.writeOrders(me)) {
    return (
      <>
        <PageTitle>Place a lab order</PageTitle>
        <NotOffered>This sign-in has no lab-orders:write scope, so it may not place lab orders.</NotOffered>
      </>
    );
  }
  return <PlaceOrderForm brands={me.brand_ids} />;
}

/** The key of one submission: kept while the body stays the same, a new one when it changes. */
function useSubmissionKey() {
  const sent = useRef<{ key: string; body: string } | null>(null);
  return (body: unknown): string => {
    const text = JSON.stringify(body);
    if (sent.current === null || sent.current.body !== text)
      sent.current = { key: crypto.randomUUID(), body: text };
    return sent.current.key;
  };
}

function PlaceOrderForm({ brands }: { brands: string[] | null }) {
  const [form, setForm] = useState<Draft>(BLANK);
  const [brand, setBrand] = useState(brands?.[0] ?? '');
  const [panel, setPanel] = useState<NewOrder['panel_id']>('hashimotos');
  // A new patient gets a new id, made once for this form.
  const [newPatientId] = useState(() => crypto.randomUUID());
  const submit = useSubmit();
  const keyFor = useSubmissionKey();
  const set = (name: keyof Draft) => (event: Event) => setForm({ ...form, [name]: valueOf(event) });
  const errors = fieldErrors(submit.error);
  const error = (path: string) => errors.get(path);

  const place = (event: Event) => {
    event.preventDefault();
    if (submit.busy) return;
    const body: NewOrder = {
      brand_id: brand.trim(),
      patient_id: form.patientId.trim() || newPatientId,
      panel_id: panel,
      patient: {
        first_name: form.firstName.trim(),
        last_name: form.lastName.trim(),
        dob: form.dob,
        email: form.email.trim(),
        gender: form.gender as NonNullable<NewOrder['patient']>['gender'],
        ...(phoneOf(form.phone) ? { phone_number: phoneOf(form.phone)! } : {}),
      },
      address: {
        line1: form.line1.trim(),
        ...(form.line2.trim() ? { line2: form.line2.trim() } : {}),
        city: form.city.trim(),
        state: form.state.trim().toUpperCase(),
        zip: form.zip.trim(),
        country: form.country.trim().toUpperCase(),
      },
    };
    const key = keyFor(body);
    void submit.run(async () => {
      const order = await call(
        api.POST('/v1/lab-orders', { params: { header: { 'idempotency-key': key } }, body }),
      );
      navigate(`/orders/${order.id}`);
    });
  };

  return (
    <>
      <PageTitle>Place a lab order</PageTitle>
      <p>
        <a href={href('/orders')}>All lab orders</a>
      </p>
      <form onSubmit={place} aria-describedby="order-once">
        <p class="muted" id="order-once">
          The order is placed once, however often the button is pressed: a retry of the same form (after a
          network error or a busy Junction) carries the same Idempotency-Key.
        </p>
        <fieldset class="grid">
          <legend>Order</legend>
          <Field id="n-brand" label="Brand" error={error('/brand_id')}>
            {brands ? (
              <select id="n-brand" value={brand} onChange={(e) => setBrand(valueOf(e))}>
                {brands.map((b) => (
                  <option key={b} value={b}>
                    {b}
                  </option>
                ))}
              </select>
            ) : (
              <input
                id="n-brand"
                required
                maxLength={128}
                value={brand}
                onInput={(e) => setBrand(valueOf(e))}
              />
            )}
          </Field>
          <Field id="n-panel" label="Panel" error={error('/panel_id')}>
            <select id="n-panel" value={panel} onChange={(e) => setPanel(valueOf(e) as NewOrder['panel_id'])}>
              {PANELS.map((p) => (
                <option key={p} value={p}>
                  {panelName(p)}
                </option>
              ))}
            </select>
          </Field>
          <Field
            id="n-patient-id"
            label="Patient id (optional)"
            hint="The id your system gives this patient (a UUID); leave empty for a new patient."
            error={error('/patient_id')}
          >
            <input
              id="n-patient-id"
              maxLength={36}
              spellcheck={false}
              aria-describedby="n-patient-id-hint"
              value={form.patientId}
              onInput={set('patientId')}
            />
          </Field>
        </fieldset>
        <fieldset class="grid">
          <legend>Patient</legend>
          <Field id="n-first" label="First name" error={error('/patient/first_name')}>
            <input id="n-first" required maxLength={50} value={form.firstName} onInput={set('firstName')} />
          </Field>
          <Field id="n-last" label="Last name" error={error('/patient/last_name')}>
            <input id="n-last" required maxLength={50} value={form.lastName} onInput={set('lastName')} />
          </Field>
          <Field id="n-dob" label="Date of birth" error={error('/patient/dob')}>
            <input id="n-dob" type="date" required value={form.dob} onInput={set('dob')} />
          </Field>
          <Field id="n-email" label="Email" error={error('/patient/email')}>
            <input
              id="n-email"
              type="email"
              required
              maxLength={254}
              value={form.email}
              onInput={set('email')}
            />
          </Field>
          <Field id="n-gender" label="Sex (as the lab records it)" error={error('/patient/gender')}>
            <select id="n-gender" value={form.gender} onChange={set('gender')}>
              {GENDERS.map(([value, words]) => (
                <option key={value} value={value}>
                  {words}
                </option>
              ))}
            </select>
          </Field>
          <Field
            id="n-phone"
            label="Phone"
            hint="With its country code, e.g. +1 415 555 0100."
            error={error('/patient/phone_number')}
          >
            <input
              id="n-phone"
              type="tel"
              required
              maxLength={24}
              aria-describedby="n-phone-hint"
              value={form.phone}
              onInput={set('phone')}
            />
          </Field>
        </fieldset>
        <fieldset class="grid">
          <legend>Address</legend>
          <Field id="n-line1" label="Street address" error={error('/address/line1')}>
            <input id="n-line1" required maxLength={100} value={form.line1} onInput={set('line1')} />
          </Field>
          <Field id="n-line2" label="Apartment, suite (optional)" error={error('/address/line2')}>
            <input id="n-line2" maxLength={100} value={form.line2} onInput={set('line2')} />
          </Field>
          <Field id="n-city" label="City" error={error('/address/city')}>
            <input id="n-city" required maxLength={100} value={form.city} onInput={set('city')} />
          </Field>
          <Field id="n-state" label="State (two letters)" error={error('/address/state')}>
            <input id="n-state" required maxLength={2} value={form.state} onInput={set('state')} />
          </Field>
          <Field id="n-zip" label="ZIP code" error={error('/address/zip')}>
            <input id="n-zip" required maxLength={20} value={form.zip} onInput={set('zip')} />
          </Field>
          <Field id="n-country" label="Country (two letters)" error={error('/address/country')}>
            <input id="n-country" required maxLength={2} value={form.country} onInput={set('country')} />
          </Field>
        </fieldset>
        <div class="form-end">
          <button type="submit" disabled={submit.busy}>
            {submit.busy ? 'Placing the order…' : 'Place the order'}
          </button>
        </div>
      </form>
      <Problem error={submit.error} action="place a lab order" />
    </>
  );
}
