/** Owners: the workspace's members, and adding one with a role and permissions. */
import { useState } from 'preact/hooks';
import { api, call } from '../api/client';
import type { Member } from '../api/types';
import { dateTime, Field, PageTitle, Problem, Show, TableWrap, useApi, useSubmit, valueOf } from '../ui';
import { useWorkspace } from './context';
import { allMembers } from './data';
import { OwnersOnly } from './owner-only';

const PERMISSIONS: { value: Member['permissions'][number]; label: string }[] = [
  { value: 'labs.run', label: 'labs.run: book and run visits, enter results' },
  { value: 'clients.write', label: 'clients.write: add clients and referrals' },
];

export function MembersPage() {
  const { workspace, owner } = useWorkspace();
  if (!owner) return <OwnersOnly title="Members" what="manage members" />;
  return <Members workspaceId={workspace.id} />;
}

function Members({ workspaceId }: { workspaceId: string }) {
  const members = useApi(() => allMembers(workspaceId), [workspaceId]);
  return (
    <>
      <PageTitle>Members</PageTitle>
      <Show loaded={members} what="members">
        {(list) => (
          <TableWrap label="Members">
            <thead>
              <tr>
                <th scope="col">User id</th>
                <th scope="col">Role</th>
                <th scope="col">Permissions</th>
                <th scope="col">Since</th>
              </tr>
            </thead>
            <tbody>
              {list.map((m) => (
                <tr key={m.id}>
                  <td>
                    <code>{m.userId}</code>
                  </td>
                  <td>{m.role}</td>
                  <td>{m.role === 'owner' ? 'all' : m.permissions.join(', ') || 'read only'}</td>
                  <td>{dateTime(m.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </TableWrap>
        )}
      </Show>
      <NewMember workspaceId={workspaceId} onAdded={members.reload} />
    </>
  );
}

function NewMember({ workspaceId, onAdded }: { workspaceId: string; onAdded: () => void }) {
  const [userId, setUserId] = useState('');
  const [role, setRole] = useState<Member['role']>('staff');
  const [permissions, setPermissions] = useState<Member['permissions']>([]);
  const submit = useSubmit();
  const toggle = (p: Member['permissions'][number]) =>
    setPermissions(permissions.includes(p) ? permissions.filter((x) => x !== p) : [...permissions, p]);
  const save = (event: Event) => {
    event.preventDefault();
    void submit.run(async () => {
      await call(
        api.POST('/v1/workspace/{workspaceId}/members', {
          params: { path: { workspaceId } },
          body: { userId: userId.trim(), role, permissions: role === 'owner' ? [] : permissions },
        }),
      );
      setUserId('');
      setPermissions([]);
      onAdded();
    });
  };
  return (
    <section aria-labelledby="new-member-title">
      <h2 id="new-member-title">Add a member</h2>
      <form class="grid" onSubmit={save}>
        <Field id="m-user" label="User id (the person's token sub, 24 hex characters)">
          <input
            id="m-user"
            required
            maxLength={64}
            autocomplete="off"
            value={userId}
            onInput={(e) => setUserId(valueOf(e))}
          />
        </Field>
        <Field id="m-role" label="Role">
          <select id="m-role" value={role} onChange={(e) => setRole(valueOf(e) as Member['role'])}>
            <option value="staff">staff</option>
            <option value="owner">owner</option>
          </select>
        </Field>
        {role === 'staff' ? (
          <fieldset>
            <legend>Permissions</legend>
            {PERMISSIONS.map((p) => (
              <label key={p.value} class="inline">
                <input
                  type="checkbox"
                  checked={permissions.includes(p.value)}
                  onChange={() => toggle(p.value)}
                />
                {p.label}
              </label>
            ))}
          </fieldset>
        ) : null}
        <div class="form-end">
          <button type="submit" disabled={submit.busy}>
            Add member
          </button>
        </div>
      </form>
      <Problem error={submit.error} action="add a member" />
    </section>
  );
}
