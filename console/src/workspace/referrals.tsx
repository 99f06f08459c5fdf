/** The workspace's referrals (referring providers or sources): the list, and a new one for members with clients.write. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, call } from '../api/client';
import type { Referral } from '../api/types';
import { fieldErrors } from '../field-errors';
import {
  Confirm,
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
  const [archived, setArchived] = useState(false);
  const [editing, setEditing] = useState<Referral | null>(null);
  const [archiving, setArchiving] = useState<Referral | null>(null);
  const archive = useSubmit();
  const loaded = useApi(async () => {
    const [referrals, clients] = await Promise.all([
      allReferrals(workspaceId, { archived }),
      allClients(workspaceId, { archived: true }),
    ]);
    return { referrals, clients };
  }, [workspaceId, archived]);
  const confirmArchive = (referral: Referral) =>
    archive.run(async () => {
      await call(
        api.DELETE('/v1/workspace/{workspaceId}/referrals/{referralId}', {
          params: { path: { workspaceId, referralId: referral.id } },
        }),
      );
      setArchiving(null);
      loaded.reload();
    });
  return (
    <>
      <PageTitle>Referrals</PageTitle>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter referrals">
        <label class="inline">
          <input type="checkbox" checked={archived} onChange={() => setArchived(!archived)} />
          Show archived referrals too
        </label>
      </form>
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
                      {writeClients ? (
                        <th scope="col">
                          <span class="visually-hidden">Actions</span>
                        </th>
                      ) : null}
                    </tr>
                  </thead>
                  <tbody>
                    {referrals.map((r) => (
                      <tr key={r.id}>
                        <td>
                          <span id={`referral-${r.id}`}>{r.name}</span>
                          {r.archivedAt ? <div class="muted small">archived</div> : null}
                        </td>
                        <td>{r.clientId ? clientName(byId.get(r.clientId), r.clientId) : 'any client'}</td>
                        <td>{r.notes ?? '—'}</td>
                        {writeClients ? (
                          <td>
                            <div class="actions tight">
                              <button
                                type="button"
                                class="secondary"
                                aria-describedby={`referral-${r.id}`}
                                onClick={() => setEditing(r)}
                              >
                                Edit
                              </button>
                              {r.archivedAt ? null : (
                                <button
                                  type="button"
                                  class="secondary"
                                  aria-describedby={`referral-${r.id}`}
                                  onClick={() => setArchiving(r)}
                                >
                                  Archive…
                                </button>
                              )}
                            </div>
                          </td>
                        ) : null}
                      </tr>
                    ))}
                  </tbody>
                </TableWrap>
              )}
              {archiving ? (
                <Confirm
                  label={`Archive the referral ${archiving.name}?`}
                  yes="Yes, archive it"
                  no="Keep it"
                  busy={archive.busy}
                  onYes={() => confirmArchive(archiving)}
                  onNo={() => setArchiving(null)}
                >
                  It leaves the referral lists and no new visit may name it; the visits that name it keep it.
                  The console cannot bring an archived referral back.
                </Confirm>
              ) : null}
              {editing ? (
                <EditReferral
                  key={editing.id}
                  referral={editing}
                  onDone={() => {
                    setEditing(null);
                    loaded.reload();
                  }}
                  onCancel={() => setEditing(null)}
                />
              ) : null}
              {writeClients ? (
                <NewReferral workspaceId={workspaceId} clients={clients} onCreated={loaded.reload} />
              ) : (
                <NotOffered>
                  Your membership has no clients.write permission: you may not add or change referrals.
                </NotOffered>
              )}
            </>
          );
        }}
      </Show>
    </>
  );
}

/** A referral's name and notes (its client does not change). */
function EditReferral({
  referral,
  onDone,
  onCancel,
}: {
  referral: Referral;
  onDone: () => void;
  onCancel: () => void;
}) {
  const [name, setName] = useState(referral.name);
  const [notes, setNotes] = useState(referral.notes ?? '');
  const submit = useSubmit();
  const errors = fieldErrors(submit.error);
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);
  const save = (event: Event) => {
    event.preventDefault();
    void submit.run(async () => {
      await call(
        api.PATCH('/v1/workspace/{workspaceId}/referrals/{referralId}', {
          params: { path: { workspaceId: referral.workspaceId, referralId: referral.id } },
          body: { name: name.trim(), notes: notes.trim() || null },
        }),
      );
      onDone();
    });
  };
  return (
    <section aria-labelledby="edit-referral-title">
      <h2 id="edit-referral-title">Edit referral {referral.name}</h2>
      <form class="grid" onSubmit={save}>
        <Field id="re-name" label="Name (provider or source)" error={errors.get('/name')}>
          <input
            id="re-name"
            ref={first}
            required
            maxLength={200}
            value={name}
            onInput={(e) => setName(valueOf(e))}
          />
        </Field>
        <Field id="re-notes" label="Notes (optional)" error={errors.get('/notes')}>
          <textarea
            id="re-notes"
            rows={2}
            maxLength={2000}
            value={notes}
            onInput={(e) => setNotes(valueOf(e))}
          />
        </Field>
        <div class="form-end actions">
          <button type="submit" disabled={submit.busy}>
            Save referral
          </button>
          <button type="button" class="secondary" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
      <Problem error={submit.error} action="change this referral" />
    </section>
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
  const newErrors = fieldErrors(submit.error);
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
        <Field id="r-name" label="Name (provider or source)" error={newErrors.get('/name')}>
          <input id="r-name" required maxLength={200} value={form.name} onInput={set('name')} />
        </Field>
        <Field id="r-client" label="For client (optional)" error={newErrors.get('/clientId')}>
          <select id="r-client" value={form.clientId} onChange={set('clientId')}>
            <option value="">Any client</option>
            {clients.map((c) => (
              <option key={c.id} value={c.id}>
                {c.firstName} {c.lastName}
              </option>
            ))}
          </select>
        </Field>
        <Field id="r-notes" label="Notes (optional)" error={newErrors.get('/notes')}>
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
