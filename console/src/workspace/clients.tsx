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
import type { Client } from '../api/types';
import { href } from '../router';
import { useWorkspace, wsRoute } from './context';
import { allClients } from './data';

export function ClientsPage() {
  const { workspace, writeClients } = useWorkspace();
  const [archived, setArchived] = useState(false);
  const clients = useApi(() => allClients(workspace.id, { archived }), [workspace.id, archived]);
  return (
    <>
      <PageTitle>Clients</PageTitle>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter clients">
        <label class="inline">
          <input type="checkbox" checked={archived} onChange={() => setArchived(!archived)} />
          Show archived clients too
        </label>
      </form>
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
                      <a href={href(wsRoute(workspace.id, `/clients/${c.id}`))}>
                        {c.firstName} {c.lastName}
                      </a>
                      {c.archivedAt ? <div class="muted small">archived</div> : null}
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

type ClientDraft = { firstName: string; lastName: string; email: string; dob: string; phone: string };
const BLANK: ClientDraft = { firstName: '', lastName: '', email: '', dob: '', phone: '' };

/** A client's form as the API takes it: names trimmed, empty optional fields null, the phone in E.164. */
const clientBody = (form: ClientDraft) => ({
  firstName: form.firstName.trim(),
  lastName: form.lastName.trim(),
  email: form.email.trim() || null,
  dob: form.dob || null,
  phone: phoneOf(form.phone),
});

export const draftOfClient = (client: Client): ClientDraft => ({
  firstName: client.firstName,
  lastName: client.lastName,
  email: client.email ?? '',
  dob: client.dob ?? '',
  phone: client.phone ?? '',
});

/**
 * A client's fields, for a new client and for an edit (`prefix` keeps the ids apart). The API's
 * refusal of a field shows at that field, in words.
 */
export function ClientForm({
  prefix,
  initial,
  submitLabel,
  action,
  onSave,
  done,
}: {
  prefix: string;
  initial: ClientDraft;
  submitLabel: string;
  /** what the form does, for its error ("add a client") */
  action: string;
  /** sends the body; answers the sentence to show once saved */
  onSave: (body: ReturnType<typeof clientBody>) => Promise<string>;
  /** start again from `initial` after a save (a new client), or keep what was saved (an edit) */
  done: 'reset' | 'keep';
}) {
  const [form, setForm] = useState(initial);
  const [saved, setSaved] = useState<string | null>(null);
  const submit = useSubmit();
  const set = (name: keyof ClientDraft) => (event: Event) => {
    setSaved(null);
    setForm({ ...form, [name]: valueOf(event) });
  };
  const errors = fieldErrors(submit.error);
  const save = (event: Event) => {
    event.preventDefault();
    void submit.run(async () => {
      const said = await onSave(clientBody(form));
      if (done === 'reset') setForm(initial);
      setSaved(said);
    });
  };
  const id = (name: string) => `${prefix}-${name}`;
  return (
    <>
      <form class="grid" onSubmit={save}>
        <Field id={id('first')} label="First name" error={errors.get('/firstName')}>
          <input
            id={id('first')}
            required
            maxLength={200}
            value={form.firstName}
            onInput={set('firstName')}
          />
        </Field>
        <Field id={id('last')} label="Last name" error={errors.get('/lastName')}>
          <input id={id('last')} required maxLength={200} value={form.lastName} onInput={set('lastName')} />
        </Field>
        <Field id={id('email')} label="Email (optional)" error={errors.get('/email')}>
          <input id={id('email')} type="email" maxLength={320} value={form.email} onInput={set('email')} />
        </Field>
        <Field id={id('dob')} label="Date of birth (optional)" error={errors.get('/dob')}>
          <input id={id('dob')} type="date" value={form.dob} onInput={set('dob')} />
        </Field>
        <Field
          id={id('phone')}
          label="Phone (optional)"
          hint="With its country code, e.g. +1 415 555 0100."
          error={errors.get('/phone')}
        >
          <input
            id={id('phone')}
            type="tel"
            maxLength={24}
            aria-describedby={`${id('phone')}-hint`}
            value={form.phone}
            onInput={set('phone')}
          />
        </Field>
        <div class="form-end">
          <button type="submit" disabled={submit.busy}>
            {submitLabel}
          </button>
        </div>
      </form>
      {saved ? (
        <p role="status" class="ok">
          {saved}
        </p>
      ) : null}
      <Problem error={submit.error} action={action} />
    </>
  );
}

function NewClient({ workspaceId, onCreated }: { workspaceId: string; onCreated: () => void }) {
  return (
    <section aria-labelledby="new-client-title">
      <h2 id="new-client-title">New client</h2>
      <ClientForm
        prefix="c"
        initial={BLANK}
        submitLabel="Add client"
        action="add a client"
        done="reset"
        onSave={async (body) => {
          const { client } = await call(
            api.POST('/v1/workspace/{workspaceId}/clients', { params: { path: { workspaceId } }, body }),
          );
          onCreated();
          return `Added ${client.firstName} ${client.lastName}.`;
        }}
      />
    </section>
  );
}
