/** The workspace's clients: the list, and a new client for members with clients.write. */
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
import { fieldErrors, phoneOf } from '../field-errors';
import { useWorkspace } from './context';
import { allClients } from './data';

export function ClientsPage() {
  const { workspace, writeClients } = useWorkspace();
  const clients = useApi(() => allClients(workspace.id), [workspace.id]);
  return (
    <>
      <PageTitle>Clients</PageTitle>
      <Show loaded={clients} what="clients">
        {(list) =>
          list.length === 0 ? (
            <Empty>No clients yet.</Empty>
          ) : (
            <TableWrap label="Clients">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Email</th>
                  <th scope="col">Date of birth</th>
                  <th scope="col">Phone</th>
                </tr>
              </thead>
              <tbody>
                {list.map((c) => (
                  <tr key={c.id}>
                    <td>
                      {c.firstName} {c.lastName}
                    </td>
                    <td>{c.email ?? '—'}</td>
                    <td>{c.dob ?? '—'}</td>
                    <td>{c.phone ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </TableWrap>
          )
        }
      </Show>
      {writeClients ? (
        <NewClient workspaceId={workspace.id} onCreated={clients.reload} />
      ) : (
        <NotOffered>Your membership has no clients.write permission: you may not add clients.</NotOffered>
      )}
    </>
  );
}

function NewClient({ workspaceId, onCreated }: { workspaceId: string; onCreated: () => void }) {
  const blank = { firstName: '', lastName: '', email: '', dob: '', phone: '' };
  const [form, setForm] = useState(blank);
  const [created, setCreated] = useState<string | null>(null);
  const submit = useSubmit();
  const set = (name: keyof typeof blank) => (event: Event) => setForm({ ...form, [name]: valueOf(event) });
  const errors = fieldErrors(submit.error);
  const save = (event: Event) => {
    event.preventDefault();
    void submit.run(async () => {
      const { client } = await call(
        api.POST('/v1/workspace/{workspaceId}/clients', {
          params: { path: { workspaceId } },
          body: {
            firstName: form.firstName.trim(),
            lastName: form.lastName.trim(),
            email: form.email.trim() || null,
            dob: form.dob || null,
            phone: phoneOf(form.phone),
          },
        }),
      );
      setForm(blank);
      setCreated(`${client.firstName} ${client.lastName}`);
      onCreated();
    });
  };
  return (
    <section aria-labelledby="new-client-title">
      <h2 id="new-client-title">New client</h2>
      <form class="grid" onSubmit={save}>
        <Field id="c-first" label="First name" error={errors.get('/firstName')}>
          <input id="c-first" required maxLength={200} value={form.firstName} onInput={set('firstName')} />
        </Field>
        <Field id="c-last" label="Last name" error={errors.get('/lastName')}>
          <input id="c-last" required maxLength={200} value={form.lastName} onInput={set('lastName')} />
        </Field>
        <Field id="c-email" label="Email (optional)" error={errors.get('/email')}>
          <input id="c-email" type="email" maxLength={320} value={form.email} onInput={set('email')} />
        </Field>
        <Field id="c-dob" label="Date of birth (optional)" error={errors.get('/dob')}>
          <input id="c-dob" type="date" value={form.dob} onInput={set('dob')} />
        </Field>
        <Field
          id="c-phone"
          label="Phone (optional)"
          hint="With its country code, e.g. +1 415 555 0100."
          error={errors.get('/phone')}
        >
          <input
            id="c-phone"
            type="tel"
            maxLength={24}
            aria-describedby="c-phone-hint"
            value={form.phone}
            onInput={set('phone')}
          />
        </Field>
        <div class="form-end">
          <button type="submit" disabled={submit.busy}>
            Add client
          </button>
        </div>
      </form>
      {created ? (
        <p role="status" class="ok">
          Added {created}.
        </p>
      ) : null}
      <Problem error={submit.error} action="add a client" />
    </section>
  );
}
