/** Owners: the workspace's coupons, a new coupon, and switching one off and on. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, call } from '../api/client';
import type { Coupon, RequestBody } from '../api/types';
import {
  dateTime,
  Empty,
  Field,
  localInputValue,
  money,
  PageTitle,
  Problem,
  Show,
  TableWrap,
  useApi,
  useSubmit,
  valueOf,
} from '../ui';
import { fieldErrors } from '../field-errors';
import { useWorkspace } from './context';
import { allCoupons } from './data';
import { OwnersOnly } from './owner-only';

const couponValue = (c: Coupon): string => (c.type === 'percent' ? `${c.value} %` : money(c.value));

export function CouponsPage() {
  const { workspace, owner } = useWorkspace();
  if (!owner) return <OwnersOnly title="Coupons" what="manage coupons" />;
  return <Coupons workspaceId={workspace.id} />;
}

function Coupons({ workspaceId }: { workspaceId: string }) {
  const coupons = useApi(() => allCoupons(workspaceId), [workspaceId]);
  const [expiring, setExpiring] = useState<Coupon | null>(null);
  const toggle = useSubmit();
  const setActive = (coupon: Coupon, active: boolean) =>
    toggle.run(async () => {
      await call(
        api.PATCH('/v1/workspace/{workspaceId}/labs/coupons/{couponId}', {
          params: { path: { workspaceId, couponId: coupon.id } },
          body: { active },
        }),
      );
      coupons.reload();
    });
  return (
    <>
      <PageTitle>Coupons</PageTitle>
      <Show loaded={coupons} what="coupons">
        {(list) =>
          list.length === 0 ? (
            <Empty>No coupons yet.</Empty>
          ) : (
            <TableWrap label="Coupons">
              <thead>
                <tr>
                  <th scope="col">Code</th>
                  <th scope="col">Off</th>
                  <th scope="col">Active</th>
                  <th scope="col">Expires</th>
                  <th scope="col" class="num">
                    Used
                  </th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((c) => (
                  <tr key={c.id}>
                    <td>
                      <code>{c.code}</code>
                    </td>
                    <td>{couponValue(c)}</td>
                    <td>{c.active ? 'yes' : 'no'}</td>
                    <td>{c.expiresAt ? dateTime(c.expiresAt) : 'never'}</td>
                    <td class="num" data-testid={`redemptions-${c.code}`}>
                      {c.redemptions}
                      {c.maxRedemptions !== null ? ` of ${c.maxRedemptions}` : ''}
                    </td>
                    <td>
                      <div class="actions tight">
                        <button
                          type="button"
                          class="secondary"
                          disabled={toggle.busy}
                          onClick={() => void setActive(c, !c.active)}
                        >
                          {c.active ? `Switch ${c.code} off` : `Switch ${c.code} on`}
                        </button>
                        <button type="button" class="secondary" onClick={() => setExpiring(c)}>
                          Change expiry of {c.code}
                        </button>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </TableWrap>
          )
        }
      </Show>
      <Problem error={toggle.error} action="switch this coupon" />
      {expiring ? (
        <CouponExpiry
          key={expiring.id}
          workspaceId={workspaceId}
          coupon={expiring}
          onDone={() => {
            setExpiring(null);
            coupons.reload();
          }}
          onCancel={() => setExpiring(null)}
        />
      ) : null}
      <NewCoupon workspaceId={workspaceId} onCreated={coupons.reload} />
    </>
  );
}

/** The local day of an instant, for a `date` input; and a day's end as the API's instant. */
const dayOf = (iso: string | null): string => (iso ? localInputValue(new Date(iso)).slice(0, 10) : '');
const endOfDay = (day: string): string => new Date(`${day}T23:59:59.999`).toISOString();

/** A coupon's last day: changed, or removed (it never expires). */
function CouponExpiry({
  workspaceId,
  coupon,
  onDone,
  onCancel,
}: {
  workspaceId: string;
  coupon: Coupon;
  onDone: () => void;
  onCancel: () => void;
}) {
  const [day, setDay] = useState(dayOf(coupon.expiresAt));
  const submit = useSubmit();
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);
  const send = (expiresAt: string | null) =>
    void submit.run(async () => {
      await call(
        api.PATCH('/v1/workspace/{workspaceId}/labs/coupons/{couponId}', {
          params: { path: { workspaceId, couponId: coupon.id } },
          body: { expiresAt },
        }),
      );
      onDone();
    });
  return (
    <section aria-labelledby="expiry-title">
      <h2 id="expiry-title">Expiry of {coupon.code}</h2>
      <form
        class="grid"
        onSubmit={(event) => {
          event.preventDefault();
          if (day) send(endOfDay(day));
        }}
      >
        <Field
          id="x-day"
          label="Last day"
          hint="The coupon works until the end of this day; a day in the past ends it now."
          error={fieldErrors(submit.error).get('/expiresAt')}
        >
          <input
            id="x-day"
            ref={first}
            type="date"
            required
            aria-describedby="x-day-hint"
            value={day}
            onInput={(e) => setDay(valueOf(e))}
          />
        </Field>
        <div class="form-end actions">
          <button type="submit" disabled={submit.busy || !day}>
            Save expiry
          </button>
          {coupon.expiresAt ? (
            <button type="button" class="secondary" disabled={submit.busy} onClick={() => send(null)}>
              Never expires
            </button>
          ) : null}
          <button type="button" class="secondary" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
      <Problem error={submit.error} action="change the expiry" />
    </section>
  );
}

function NewCoupon({ workspaceId, onCreated }: { workspaceId: string; onCreated: () => void }) {
  const blank = { code: '', type: 'percent', value: '', expiresAt: '', maxRedemptions: '' };
  const [form, setForm] = useState(blank);
  const submit = useSubmit();
  const errors = fieldErrors(submit.error);
  const set = (name: keyof typeof blank) => (event: Event) => setForm({ ...form, [name]: valueOf(event) });
  const save = (event: Event) => {
    event.preventDefault();
    void submit.run(async () => {
      const body: RequestBody<'createLabCoupon'> = {
        code: form.code.trim(),
        type: form.type as RequestBody<'createLabCoupon'>['type'],
        value: Number(form.value),
        expiresAt: form.expiresAt ? endOfDay(form.expiresAt) : null,
        maxRedemptions: form.maxRedemptions ? Number(form.maxRedemptions) : null,
      };
      await call(
        api.POST('/v1/workspace/{workspaceId}/labs/coupons', { params: { path: { workspaceId } }, body }),
      );
      setForm(blank);
      onCreated();
    });
  };
  return (
    <section aria-labelledby="new-coupon-title">
      <h2 id="new-coupon-title">New coupon</h2>
      <form class="grid" onSubmit={save}>
        <Field
          id="k-code"
          label="Code"
          hint="Letters, digits, - and _; matched in any letter case."
          error={errors.get('/code')}
        >
          <input
            id="k-code"
            required
            maxLength={64}
            aria-describedby="k-code-hint"
            value={form.code}
            onInput={set('code')}
          />
        </Field>
        <Field id="k-type" label="Type">
          <select id="k-type" value={form.type} onChange={set('type')}>
            <option value="percent">percent off</option>
            <option value="fixed">fixed amount off</option>
          </select>
        </Field>
        <Field
          id="k-value"
          label={form.type === 'percent' ? 'Percent off (0–100)' : 'Amount off (USD)'}
          error={errors.get('/value')}
        >
          <input
            id="k-value"
            required
            type="number"
            min="0"
            max={form.type === 'percent' ? '100' : undefined}
            step="0.01"
            value={form.value}
            onInput={set('value')}
          />
        </Field>
        <Field id="k-expires" label="Last day (optional)" error={errors.get('/expiresAt')}>
          <input id="k-expires" type="date" value={form.expiresAt} onInput={set('expiresAt')} />
        </Field>
        <Field id="k-max" label="Most uses (optional)" error={errors.get('/maxRedemptions')}>
          <input
            id="k-max"
            type="number"
            min="1"
            step="1"
            value={form.maxRedemptions}
            onInput={set('maxRedemptions')}
          />
        </Field>
        <div class="form-end">
          <button type="submit" disabled={submit.busy}>
            Create coupon
          </button>
        </div>
      </form>
      <Problem error={submit.error} action="create a coupon" />
    </section>
  );
}
