/**
 * One client: their details, their visits (newest first), booking a visit for them, and for
 * members with clients.write editing their details and archiving them (asked first).
 */
import { useState } from 'preact/hooks';
import { api, call } from '../api/client';
import type { Client } from '../api/types';
import { href } from '../router';
import { Status, visitStatusWords } from '../status-words';
import {
  Confirm,
  dateTime,
  Empty,
  money,
  NotOffered,
  PageTitle,
  PagerIfMore,
  Show,
  TableWrap,
  useApi,
  useCursorPages,
  useSubmit,
} from '../ui';
import { ClientForm, draftOfClient } from './clients';
import { useWorkspace, wsRoute } from './context';

export function ClientPage({ clientId }: { clientId: string }) {
  const { workspace } = useWorkspace();
  const workspaceId = workspace.id;
  const client = useApi(
    async () =>
      (
        await call(
          api.GET('/v1/workspace/{workspaceId}/clients/{clientId}', {
            params: { path: { workspaceId, clientId } },
          }),
        )
      ).client,
    [workspaceId, clientId],
  );
  return (
    <Show loaded={client} what="the client">
      {(c) => <ClientView client={c} onChange={client.setData} />}
    </Show>
  );
}

const fullName = (c: Client): string => `${c.firstName} ${c.lastName}`;

function ClientView({ client, onChange }: { client: Client; onChange: (c: Client) => void }) {
  const { workspace, writeClients, runLabs } = useWorkspace();
  const workspaceId = workspace.id;
  const path = { workspaceId, clientId: client.id };
  return (
    <>
      <PageTitle
        secondary={
          <>
            Client <code>{client.id}</code>
            {client.archivedAt ? `, archived ${dateTime(client.archivedAt)}` : ''}
          </>
        }
      >
        {fullName(client)}
      </PageTitle>
      <p>
        <a href={href(wsRoute(workspaceId, '/clients'))}>All clients</a>
      </p>
      <dl class="facts">
        <dt>Email</dt>
        <dd>{client.email ?? '—'}</dd>
        <dt>Date of birth</dt>
        <dd>{client.dob ?? '—'}</dd>
        <dt>Phone</dt>
        <dd>{client.phone ?? '—'}</dd>
        <dt>Added</dt>
        <dd>{dateTime(client.createdAt)}</dd>
        {client.archivedAt ? (
          <>
            <dt>Archived</dt>
            <dd>{dateTime(client.archivedAt)}: no new visits; their visits stay as they are.</dd>
          </>
        ) : null}
      </dl>

      <ClientVisits client={client} book={runLabs && client.archivedAt === null} />

      {writeClients ? (
        <section aria-labelledby="edit-client-title">
          <h2 id="edit-client-title">Edit details</h2>
          <ClientForm
            prefix="e"
            initial={draftOfClient(client)}
            submitLabel="Save details"
            action="change this client"
            done="keep"
            onSave={async (body) => {
              const { client: saved } = await call(
                api.PATCH('/v1/workspace/{workspaceId}/clients/{clientId}', { params: { path }, body }),
              );
              onChange(saved);
              return `Saved the details of ${fullName(saved)}.`;
            }}
          />
          {client.archivedAt === null ? <ArchiveClient client={client} onChange={onChange} /> : null}
        </section>
      ) : (
        <NotOffered>Your membership has no clients.write permission: you may not change clients.</NotOffered>
      )}
    </>
  );
}

const PAGE_SIZE = 20;

function ClientVisits({ client, book }: { client: Client; book: boolean }) {
  const workspaceId = client.workspaceId;
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const visits = useApi(
    () =>
      call(
        api.GET('/v1/workspace/{workspaceId}/labs/visits', {
          params: {
            path: { workspaceId },
            query: { clientId: client.id, limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) },
          },
        }),
      ),
    [workspaceId, client.id, cursor],
  );
  return (
    <section aria-labelledby="client-visits-title">
      <h2 id="client-visits-title">Visits</h2>
      {book ? (
        <p>
          <a class="button" href={href(wsRoute(workspaceId, `/visits/new?client=${client.id}`))}>
            Book a visit for {fullName(client)}
          </a>
        </p>
      ) : null}
      <Show loaded={visits} what="their visits">
        {({ labVisits, nextCursor }) => (
          <>
            {labVisits.length === 0 ? (
              <Empty>No visits yet.</Empty>
            ) : (
              <TableWrap label={`Visits of ${fullName(client)}`}>
                <thead>
                  <tr>
                    <th scope="col">Visit date</th>
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
            <PagerIfMore pages={pages} nextCursor={nextCursor} />
          </>
        )}
      </Show>
    </section>
  );
}

function ArchiveClient({ client, onChange }: { client: Client; onChange: (c: Client) => void }) {
  const [confirming, setConfirming] = useState(false);
  const submit = useSubmit();
  const archive = () =>
    submit.run(async () => {
      const { client: archived } = await call(
        api.DELETE('/v1/workspace/{workspaceId}/clients/{clientId}', {
          params: { path: { workspaceId: client.workspaceId, clientId: client.id } },
        }),
      );
      setConfirming(false);
      onChange(archived);
    });
  return (
    <>
      <h3>Archive</h3>
      <button type="button" class="danger" onClick={() => setConfirming(true)}>
        Archive client…
      </button>
      {confirming ? (
        <Confirm
          label={`Archive ${fullName(client)}?`}
          yes="Yes, archive them"
          no="Keep them"
          busy={submit.busy}
          onYes={archive}
          onNo={() => setConfirming(false)}
        >
          They leave the client lists and can no longer be booked; their visits stay as they are and can still
          move on. The console cannot bring an archived client back.
        </Confirm>
      ) : null}
    </>
  );
}
