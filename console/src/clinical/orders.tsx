/** A brand's lab orders: filters (status, patient, brand) and keyset pages. */
import { api, call } from '../api/client';
import type { LabOrderStatus } from '../api/types';
import { href, useRouteQuery } from '../router';
import { can, useSignedIn } from '../signed-in';
import {
  dateTime,
  Empty,
  Field,
  NotOffered,
  PageTitle,
  Show,
  Pager,
  TableWrap,
  useApi,
  useCursorPages,
  valueOf,
} from '../ui';
import { detailWords, orderStatusWords, Status } from '../status-words';
import { panelName, patientLabel } from './names';
import { ORDER_STATUSES } from './statuses';

const PAGE_SIZE = 20;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function OrdersPage() {
  const { me } = useSignedIn();
  if (!can.readOrders(me)) {
    return (
      <>
        <PageTitle>Lab orders</PageTitle>
        <NotOffered>This sign-in has no lab-orders:read scope, so it may not see lab orders.</NotOffered>
      </>
    );
  }
  return <Orders brands={me.brand_ids} write={can.writeOrders(me)} />;
}

function Orders({ brands, write }: { brands: string[] | null; write: boolean }) {
  // The filters live in the route (`#/orders?status=received`): a reload or a shared link keeps them.
  const [query, setQuery] = useRouteQuery();
  const status = (query.get('status') ?? '') as LabOrderStatus | '';
  const patient = query.get('patient') ?? '';
  const brand = query.get('brand') ?? '';
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const patientId = UUID.test(patient.trim()) ? patient.trim() : '';
  const orders = useApi(
    () =>
      call(
        api.GET('/v1/lab-orders', {
          params: {
            query: {
              limit: PAGE_SIZE,
              ...(cursor ? { cursor } : {}),
              ...(status ? { status } : {}),
              ...(patientId ? { patient_id: patientId } : {}),
              ...(brand.trim() ? { brand_id: brand.trim() } : {}),
            },
          },
        }),
      ),
    [status, patientId, brand, cursor],
  );
  const restart = pages.restart;
  return (
    <>
      <PageTitle>Lab orders</PageTitle>
      {write ? (
        <p>
          <a class="button" href={href('/orders/new')}>
            Place a lab order
          </a>
        </p>
      ) : null}
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter lab orders">
        <Field id="o-status" label="Status">
          <select
            id="o-status"
            value={status}
            onChange={(e) => {
              setQuery({ status: valueOf(e) });
              restart();
            }}
          >
            <option value="">Any status</option>
            {ORDER_STATUSES.map((s) => (
              <option key={s} value={s}>
                {orderStatusWords(s)}
              </option>
            ))}
          </select>
        </Field>
        <Field id="o-patient" label="Patient id" hint="The whole id (a UUID) to filter by it.">
          <input
            id="o-patient"
            maxLength={36}
            spellcheck={false}
            aria-describedby="o-patient-hint"
            value={patient}
            onInput={(e) => {
              setQuery({ patient: valueOf(e) });
              restart();
            }}
          />
        </Field>
        <Field id="o-brand" label="Brand">
          {brands ? (
            <select
              id="o-brand"
              value={brand}
              onChange={(e) => {
                setQuery({ brand: valueOf(e) });
                restart();
              }}
            >
              <option value="">All my brands</option>
              {brands.map((b) => (
                <option key={b} value={b}>
                  {b}
                </option>
              ))}
            </select>
          ) : (
            <input
              id="o-brand"
              maxLength={128}
              value={brand}
              onInput={(e) => {
                setQuery({ brand: valueOf(e) });
                restart();
              }}
            />
          )}
        </Field>
      </form>
      <Show loaded={orders} what="lab orders">
        {({ data, next_cursor }) => (
          <>
            {data.length === 0 ? (
              <Empty>No lab orders match these filters.</Empty>
            ) : (
              <TableWrap label="Lab orders">
                <thead>
                  <tr>
                    <th scope="col">Patient</th>
                    <th scope="col">Panel</th>
                    <th scope="col">Status</th>
                    <th scope="col">Brand</th>
                    <th scope="col">Created</th>
                  </tr>
                </thead>
                <tbody>
                  {data.map((o) => (
                    <tr key={o.id}>
                      <td>
                        <a href={href(`/orders/${o.id}`)}>{patientLabel(o.patient_name)}</a>
                        <div class="muted small">
                          <code>{o.patient_id}</code>
                        </div>
                      </td>
                      <td>{panelName(o.panel_id)}</td>
                      <td>
                        <Status
                          words={o.status_detail ? detailWords(o.status_detail) : orderStatusWords(o.status)}
                          status={o.status}
                          code={o.status_detail ?? o.status}
                        />
                      </td>
                      <td>{o.brand_id}</td>
                      <td>{dateTime(o.created_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </TableWrap>
            )}
            <Pager pages={pages} nextCursor={next_cursor} />
          </>
        )}
      </Show>
    </>
  );
}
