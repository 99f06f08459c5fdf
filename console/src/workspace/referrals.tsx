/** The workspace's referrals (referring providers or sources): the list, and a new one for members with clients.write. */
import { useState } from 'preact/hooks';
import { api, call } from '../api/client';
import {
  Empty,
  Field,
  NotOffered,
  PageTitle,
  Problem,
  Show,
  TableWrap,
  useApi,
  useSubmit,
  valueOf,
} from '../ui';
import { useWorkspace } from './context';
import { allClients, allReferrals, clientName } from './data';

export function ReferralsPage() {
  const { workspace, writeClients } = useWorkspace();
  const workspaceId = workspace.id;
  const loaded = useApi(async () => {
    const [referrals, clients] = await Promise.all([allReferrals(workspaceId), allClients(workspaceId)]);
    return { referrals, clients };
  }, [workspaceId]);
  return (
    <>
      <PageTitle>Referrals</PageTitle>
      <Show loaded={loaded} what="referrals">
        {({ referrals, clients }) => {
          const byId = new Map(clients.map((c) => [c.id, c]));
          return (
            <>
              {referrals.length === 0 ? (
                <Empty>No referrals yet.</Empty>
              ) : (
                <TableWrap label="Referrals">
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">For client</th>
                      <th scope="col">Notes</th>
                    </tr>
                  </thead>
                  <tbody>
                    {referrals.map((r) => (
                      <tr key={r.id}>
                        <td>{r.name}</td>
                        <td>{r.clientId ? clientName(byId.get(r.clientId), r.clientId) : 'any client'}</td>
                        <td>{r.notes ?? '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </TableWrap>
              )}
              {writeClients ? (
                <NewReferral workspaceId={workspaceId} clients={clients} onCreated={loaded.reload} />
              ) : (
                <NotOffered>
                  Your membership has no clients.write permission: you may not add referrals.
                </NotOffered>
              )}
            </>
          );
        }}
      </Show>
    </>
  );
}

function NewReferral({
  workspaceId,
  clients,
  onCreated,
}: {
  workspaceId: string;
  clients: { id: string; firstName: string; lastName: string }[];
  onCreated: () => void;
}) {
  const blank = { name: '', clientId: '', notes: '' };
  const [form, setForm] = useState(blank);
  const submit = useSubmit();
  const set = (name: keyof typeof blank) => (event: Event) => setForm({ ...form, [name]: valueOf(event) });
  const save = (event: Event) => {
    event.preventDefault();
    void submit.run(async () => {
      await call(
        api.POST('/v1/workspace/{workspaceId}/referrals', {
          params: { path: { workspaceId } },
          body: { name: form.name.trim(), clientId: form.clientId || null, notes: form.notes.trim() || null },
        }),
      );
      setForm(blank);
      onCreated();
    });
  };
  return (
    <section aria-labelledby="new-referral-title">
      <h2 id="new-referral-title">New referral</h2>
      <form class="grid" onSubmit={save}>
        <Field id="r-name" label="Name (provider or source)">
          <input id="r-name" required maxLength={200} value={form.name} onInput={set('name')} />
        </Field>
        <Field id="r-client" label="For client (optional)">
          <select id="r-client" value={form.clientId} onChange={set('clientId')}>
            <option value="">Any client</option>
            {clients.map((c) => (
              <option key={c.id} value={c.id}>
                {c.firstName} {c.lastName}
              </option>
            ))}
          </select>
        </Field>
        <Field id="r-notes" label="Notes (optional)">
          <textarea id="r-notes" rows={2} maxLength={2000} value={form.notes} onInput={set('notes')} />
        </Field>
        <div class="form-end">
          <button type="submit" disabled={submit.busy}>
            Add referral
          </button>
        </div>
      </form>
      <Problem error={submit.error} action="add a referral" />
    </section>
  );
}
