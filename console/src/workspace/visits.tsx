/** The workspace's visits: filters (status, client, date range) and keyset pages. */
import { api, call } from '../api/client';
import type { LabVisitStatus } from '../api/types';
import { href, useRouteQuery } from '../router';
import {
  dateTime,
  Empty,
  Field,
  money,
  PageTitle,
  Show,
  Pager,
  TableWrap,
  useApi,
  useCursorPages,
  valueOf,
} from '../ui';
import { Status, visitStatusWords } from '../status-words';
import { useWorkspace, wsRoute } from './context';
import { allClients, clientName } from './data';
import { VISIT_STATUSES } from './lifecycle';

const PAGE_SIZE = 20;

interface Filters {
  status: LabVisitStatus | '';
  clientId: string;
  from: string;
  to: string;
}

/** A `date` input's day as the start or the end of that day, local time. */
const dayBound = (day: string, end: boolean): string | undefined =>
  day ? new Date(`${day}T${end ? '23:59:59.999' : '00:00:00'}`).toISOString() : undefined;

export function VisitsPage() {
  const { workspace, runLabs } = useWorkspace();
  const workspaceId = workspace.id;
  // The filters live in the route (`…/visits?status=pending&client=…`): a reload or a link keeps them.
  const [query, setQuery] = useRouteQuery();
  const filters: Filters = {
    status: (query.get('status') ?? '') as LabVisitStatus | '',
    clientId: query.get('client') ?? '',
    from: query.get('from') ?? '',
    to: query.get('to') ?? '',
  };
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const clients = useApi(() => allClients(workspaceId), [workspaceId]);
  const visits = useApi(
    () =>
      call(
        api.GET('/v1/workspace/{workspaceId}/labs/visits', {
          params: {
            path: { workspaceId },
            query: {
              limit: PAGE_SIZE,
              ...(cursor ? { cursor } : {}),
              ...(filters.status ? { labVisitStatus: filters.status } : {}),
              ...(filters.clientId ? { clientId: filters.clientId } : {}),
              ...(filters.from ? { from: dayBound(filters.from, false) } : {}),
              ...(filters.to ? { to: dayBound(filters.to, true) } : {}),
            },
          },
        }),
      ),
    [workspaceId, filters.status, filters.clientId, filters.from, filters.to, cursor],
  );
  const QUERY_NAME: Record<keyof Filters, string> = {
    status: 'status',
    clientId: 'client',
    from: 'from',
    to: 'to',
  };
  const setFilter = (name: keyof Filters) => (event: Event) => {
    setQuery({ [QUERY_NAME[name]]: valueOf(event) });
    pages.restart();
  };
  const byId = new Map((clients.data ?? []).map((c) => [c.id, c]));

  return (
    <>
      <PageTitle>Visits</PageTitle>
      {runLabs ? (
        <p>
          <a class="button" href={href(wsRoute(workspaceId, '/visits/new'))}>
            Book a visit
          </a>
        </p>
      ) : null}
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter visits">
        <Field id="f-status" label="Status">
          <select id="f-status" value={filters.status} onChange={setFilter('status')}>
            <option value="">Any status</option>
            {VISIT_STATUSES.map((s) => (
              <option key={s} value={s}>
                {visitStatusWords(s)}
              </option>
            ))}
          </select>
        </Field>
        <Field id="f-client" label="Client">
          <select id="f-client" value={filters.clientId} onChange={setFilter('clientId')}>
            <option value="">Any client</option>
            {(clients.data ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {clientName(c, c.id)}
              </option>
            ))}
          </select>
        </Field>
        <Field id="f-from" label="From (visit date)">
          <input id="f-from" type="date" value={filters.from} onChange={setFilter('from')} />
        </Field>
        <Field id="f-to" label="To (visit date)">
          <input id="f-to" type="date" value={filters.to} onChange={setFilter('to')} />
        </Field>
      </form>
      <Show loaded={visits} what="visits">
        {({ labVisits, nextCursor }) => (
          <>
            {labVisits.length === 0 ? (
              <Empty>No visits match these filters.</Empty>
            ) : (
              <TableWrap label="Visits">
                <thead>
                  <tr>
                    <th scope="col">Visit date</th>
                    <th scope="col">Client</th>
                    <th scope="col">Tests</th>
                    <th scope="col">Status</th>
                    <th scope="col" class="num">
                      Total
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {labVisits.map((v) => (
                    <tr key={v.id}>
                      <td>
                        <a href={href(wsRoute(workspaceId, `/visits/${v.id}`))}>{dateTime(v.labVisitDate)}</a>
                      </td>
                      <td>{clientName(byId.get(v.clientId), v.clientId)}</td>
                      <td>
                        {v.labTestSnapshots
                          .map((s) => s.designTest?.testTitle ?? s.test.testTitle)
                          .join(', ')}
                      </td>
                      <td>
                        <Status
                          words={visitStatusWords(v.labVisitStatus)}
                          status={v.labVisitStatus}
                          code={v.labVisitStatus}
                        />
                      </td>
                      <td class="num">{money(v.labVisitPricing.labVisitTotal)}</td>
                    </tr>
                  ))}
                </tbody>
              </TableWrap>
            )}
            <Pager pages={pages} nextCursor={nextCursor} />
          </>
        )}
      </Show>
    </>
  );
}
