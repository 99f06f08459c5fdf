/**
 * Owners: the workspace's members; adding one with a role and permissions, changing a member's
 * role or permissions, and removing a member. The API keeps an owner in every workspace: demoting
 * or removing the last one is refused with its message (409 last_owner), shown here.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, call } from '../api/client';
import { fieldErrors } from '../field-errors';
import type { Member } from '../api/types';
import { useSignedIn } from '../signed-in';
import {
  Confirm,
  Empty,
  dateTime,
  Field,
  PageTitle,
  Problem,
  Show,
  TableWrap,
  useApi,
  useSubmit,
  valueOf,
} from '../ui';
import { useWorkspace } from './context';
import { allMembers } from './data';
import { OwnersOnly } from './owner-only';

type Permission = Member['permissions'][number];

const PERMISSIONS: { value: Permission; label: string }[] = [
  { value: 'labs.run', label: 'labs.run: book and run visits, enter results' },
  { value: 'clients.write', label: 'clients.write: add clients and referrals' },
  { value: 'labs.price_override', label: "labs.price_override: set a visit's subtotal" },
];

export function MembersPage() {
  const { workspace, owner } = useWorkspace();
  if (!owner) return <OwnersOnly title="Members" what="manage members" />;
  return <Members workspaceId={workspace.id} />;
}

type Editing = { member: Member; action: 'change' | 'remove' } | null;

/** A member as people know them: their name, else their email, else the token's user id. */
const memberName = (m: Member): string => m.name ?? m.email ?? m.userId;

function Members({ workspaceId }: { workspaceId: string }) {
  const { me } = useSignedIn();
  const { reload: reloadAccess } = useWorkspace();
  const members = useApi(() => allMembers(workspaceId), [workspaceId]);
  const [editing, setEditing] = useState<Editing>(null);
  const done = (member: Member) => {
    setEditing(null);
    members.reload();
    // One's own role changed: what this sign-in may do here changed with it.
    if (member.userId === me.sub) reloadAccess();
  };
  return (
    <>
      <PageTitle>Members</PageTitle>
      <Show loaded={members} what="members">
        {(list) => (
          <TableWrap label="Members">
            <thead>
              <tr>
                <th scope="col">Member</th>
                <th scope="col">Role</th>
                <th scope="col">Permissions</th>
                <th scope="col">Since</th>
                <th scope="col">Change</th>
              </tr>
            </thead>
            <tbody>
              {list.map((m) => (
                <tr key={m.id}>
                  <td>
                    {m.name ?? m.email ?? <span class="muted">Not signed in since added</span>}
                    {m.userId === me.sub ? <span class="muted"> (you)</span> : null}
                    {m.name && m.email ? <div class="muted small">{m.email}</div> : null}
                    <div class="muted small">
                      <code>{m.userId}</code>
                    </div>
                  </td>
                  <td>{m.role}</td>
                  <td>{m.role === 'owner' ? 'all' : m.permissions.join(', ') || 'read only'}</td>
                  <td>{dateTime(m.createdAt)}</td>
                  <td>
                    <div class="actions tight">
                      <button
                        type="button"
                        class="secondary"
                        aria-label={`Change ${memberName(m)}`}
                        onClick={() => setEditing({ member: m, action: 'change' })}
                      >
                        Change
                      </button>
                      <button
                        type="button"
                        class="secondary"
                        aria-label={`Remove ${memberName(m)}`}
                        onClick={() => setEditing({ member: m, action: 'remove' })}
                      >
                        Remove
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </TableWrap>
        )}
      </Show>
      {editing ? (
        <MemberPanel
          key={`${editing.action} ${editing.member.id}`}
          action={editing.action}
          workspaceId={workspaceId}
          member={editing.member}
          onDone={done}
          onCancel={() => setEditing(null)}
        />
      ) : null}
      <Invitations workspaceId={workspaceId} />
      <NewMember workspaceId={workspaceId} onAdded={members.reload} />
    </>
  );
}

/** Role and, for staff, permissions: the fields of adding and of changing a member, and their body. */
function useRoleFields(idPrefix: string, initialRole: Member['role'], initialPermissions: Permission[]) {
  const [role, setRole] = useState(initialRole);
  const [permissions, setPermissions] = useState(initialPermissions);
  return {
    body: { role, permissions: role === 'owner' ? [] : permissions },
    reset: () => setPermissions([]),
    fields: (
      <RoleFields
        idPrefix={idPrefix}
        role={role}
        permissions={permissions}
        onRole={setRole}
        onPermissions={setPermissions}
      />
    ),
  };
}

function RoleFields({
  idPrefix,
  role,
  permissions,
  onRole,
  onPermissions,
}: {
  idPrefix: string;
  role: Member['role'];
  permissions: Permission[];
  onRole: (role: Member['role']) => void;
  onPermissions: (permissions: Permission[]) => void;
}) {
  const toggle = (p: Permission) =>
    onPermissions(permissions.includes(p) ? permissions.filter((x) => x !== p) : [...permissions, p]);
  return (
    <>
      <Field id={`${idPrefix}-role`} label="Role">
        <select id={`${idPrefix}-role`} value={role} onChange={(e) => onRole(valueOf(e) as Member['role'])}>
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
    </>
  );
}

interface MemberChange {
  workspaceId: string;
  member: Member;
  onDone: (member: Member) => void;
  onCancel: () => void;
}

const memberPath = (workspaceId: string, member: Member) => ({
  params: { path: { workspaceId, userId: member.userId } },
});

function MemberPanel({ action, ...change }: MemberChange & { action: 'change' | 'remove' }) {
  return action === 'change' ? <ChangeMember {...change} /> : <RemoveMember {...change} />;
}

function ChangeMember({ workspaceId, member, onDone, onCancel }: MemberChange) {
  const roleFields = useRoleFields('c', member.role, member.permissions);
  const submit = useSubmit();
  // Opened from a row's button: the keyboard goes on where the change is made.
  useEffect(() => document.getElementById('c-role')?.focus(), []);
  const save = (event: Event) => {
    event.preventDefault();
    void submit.run(async () => {
      const answer = await call(
        api.PATCH('/v1/workspace/{workspaceId}/members/{userId}', {
          ...memberPath(workspaceId, member),
          body: roleFields.body,
        }),
      );
      onDone(answer.member);
    });
  };
  return (
    <section aria-labelledby="change-member-title">
      <h2 id="change-member-title">Change member {memberName(member)}</h2>
      <form class="grid" onSubmit={save}>
        {roleFields.fields}
        <div class="form-end actions">
          <button type="submit" disabled={submit.busy}>
            Save member
          </button>
          <button type="button" class="secondary" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
      <Problem error={submit.error} action="change this member" />
    </section>
  );
}

function RemoveMember({ workspaceId, member, onDone, onCancel }: MemberChange) {
  const self = member.userId === useSignedIn().me.sub;
  const submit = useSubmit();
  // Asked in a dialog; a refusal closes it and shows here, with a way to close the section.
  const [asking, setAsking] = useState(true);
  const remove = () =>
    submit.run(async () => {
      const answer = await call(
        api.DELETE('/v1/workspace/{workspaceId}/members/{userId}', memberPath(workspaceId, member)),
      );
      onDone(answer.member);
    });
  return (
    <section aria-labelledby="remove-member-title">
      <h2 id="remove-member-title">Remove member {memberName(member)}</h2>
      {asking ? (
        <Confirm
          label={`Remove ${memberName(member)} from the workspace?`}
          yes="Yes, remove them"
          no="Keep them"
          busy={submit.busy}
          onYes={remove}
          onNo={onCancel}
          onFailed={() => setAsking(false)}
        >
          {self ? 'You lose' : 'They lose'} access to this workspace at once; adding them again is a new
          membership.
        </Confirm>
      ) : (
        <p class="actions">
          <button type="button" class="secondary" onClick={onCancel}>
            Close
          </button>
        </p>
      )}
      <Problem error={submit.error} action="remove this member" />
    </section>
  );
}

function NewMember({ workspaceId, onAdded }: { workspaceId: string; onAdded: () => void }) {
  const [userId, setUserId] = useState('');
  const roleFields = useRoleFields('m', 'staff', []);
  const submit = useSubmit();
  const save = (event: Event) => {
    event.preventDefault();
    void submit.run(async () => {
      await call(
        api.POST('/v1/workspace/{workspaceId}/members', {
          params: { path: { workspaceId } },
          body: { userId: userId.trim(), ...roleFields.body },
        }),
      );
      setUserId('');
      roleFields.reset();
      onAdded();
    });
  };
  return (
    <section aria-labelledby="new-member-title">
      <h2 id="new-member-title">Add a member</h2>
      <p class="muted">
        For a person who has signed in before, by the user id (token sub) their sign-in carries.
      </p>
      <form class="grid" onSubmit={save}>
        <Field
          id="m-user"
          label="User id (the person's token sub, 24 hex characters)"
          error={fieldErrors(submit.error).get('/userId')}
        >
          <input
            id="m-user"
            required
            maxLength={64}
            autocomplete="off"
            value={userId}
            onInput={(e) => setUserId(valueOf(e))}
          />
        </Field>
        {roleFields.fields}
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

/** Invitations by email: who is invited, withdrawing one (asked first), and inviting someone. */
function Invitations({ workspaceId }: { workspaceId: string }) {
  const path = { params: { path: { workspaceId } } };
  const invitations = useApi(
    () =>
      call(
        api.GET('/v1/workspace/{workspaceId}/invitations', {
          params: { path: { workspaceId }, query: { limit: 200 } },
        }),
      ),
    [workspaceId],
  );
  const [email, setEmail] = useState('');
  const [withdrawing, setWithdrawing] = useState<string | null>(null);
  const roleFields = useRoleFields('i', 'staff', []);
  const submit = useSubmit();
  const invite = (event: Event) => {
    event.preventDefault();
    void submit.run(async () => {
      await call(
        api.POST('/v1/workspace/{workspaceId}/invitations', {
          ...path,
          body: { email: email.trim(), ...roleFields.body },
        }),
      );
      setEmail('');
      roleFields.reset();
      invitations.reload();
    });
  };
  const withdraw = (invitationId: string) =>
    submit.run(async () => {
      await call(
        api.DELETE('/v1/workspace/{workspaceId}/invitations/{invitationId}', {
          params: { path: { workspaceId, invitationId } },
        }),
      );
      setWithdrawing(null);
      invitations.reload();
    });
  return (
    <section aria-labelledby="invite-title">
      <h2 id="invite-title">Invite by email</h2>
      <p class="muted">
        The person becomes a member the first time they sign in with a token that carries this email, verified
        by your sign-in provider.
      </p>
      <Show loaded={invitations} what="invitations">
        {({ invitations: list }) =>
          list.length === 0 ? (
            <Empty>No invitation is waiting.</Empty>
          ) : (
            <ul class="links" aria-label="Invitations waiting">
              {list.map((i) => (
                <li key={i.id}>
                  {i.email}{' '}
                  <span class="muted">
                    as{' '}
                    {i.role === 'owner'
                      ? 'owner'
                      : `staff${i.permissions.length ? ` with ${i.permissions.join(', ')}` : ''}`}
                  </span>{' '}
                  <button
                    type="button"
                    class="secondary"
                    aria-label={`Withdraw ${i.email}`}
                    onClick={() => setWithdrawing(i.id)}
                  >
                    Withdraw…
                  </button>
                  {withdrawing === i.id ? (
                    <Confirm
                      label={`Withdraw the invitation of ${i.email}?`}
                      yes="Yes, withdraw it"
                      no="Keep it"
                      busy={submit.busy}
                      onYes={() => withdraw(i.id)}
                      onNo={() => setWithdrawing(null)}
                    >
                      {i.email} will no longer become a member by signing in; to let them in later, invite
                      them again.
                    </Confirm>
                  ) : null}
                </li>
              ))}
            </ul>
          )
        }
      </Show>
      <form class="grid" onSubmit={invite}>
        <Field id="i-email" label="Email" error={fieldErrors(submit.error).get('/email')}>
          <input
            id="i-email"
            type="email"
            required
            maxLength={320}
            autocomplete="off"
            value={email}
            onInput={(e) => setEmail(valueOf(e))}
          />
        </Field>
        {roleFields.fields}
        <div class="form-end">
          <button type="submit" disabled={submit.busy}>
            Invite
          </button>
        </div>
      </form>
      <Problem error={submit.error} action="invite" />
    </section>
  );
}
