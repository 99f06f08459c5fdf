/**
 * The platform admin's pages: workspaces (list with a name search, create one for its first owner,
 * rename) and the catalog tests every workspace books (add, change title or price). Anyone else
 * sees why the page is not for them.
 */
import { useState } from 'preact/hooks';
import { api, call } from './api/client';
import type { Answer, Workspace } from './api/types';
import { fieldErrors } from './field-errors';
import { href } from './router';
import { useSignedIn } from './signed-in';
import {
  Empty,
  Field,
  money,
  NotOffered,
  PageTitle,
  PagerIfMore,
  Problem,
  Show,
  TableWrap,
  useApi,
  useCursorPages,
  useSubmit,
  valueOf,
} from './ui';

type CatalogTest = Answer<'listLabTests'>['labTests'][number];

function AdminOnly({ title, children }: { title: string; children: preact.ComponentChildren }) {
  const { me } = useSignedIn();
  if (me.persona === 'admin') return <>{children}</>;
  return (
    <>
      <PageTitle>{title}</PageTitle>
      <NotOffered>Only the platform admin manages workspaces and the catalog.</NotOffered>
    </>
  );
}

export function AdminWorkspacesPage() {
  return (
    <AdminOnly title="Workspaces">
      <Workspaces />
    </AdminOnly>
  );
}

function Workspaces() {
  const [q, setQ] = useState('');
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const workspaces = useApi(
    () =>
      call(
        api.GET('/v1/workspaces', {
          params: {
            query: { limit: 50, ...(q.trim() ? { q: q.trim() } : {}), ...(cursor ? { cursor } : {}) },
          },
        }),
      ),
    [q, cursor],
  );
  return (
    <>
      <PageTitle>Workspaces</PageTitle>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Find workspaces">
        <Field id="w-q" label="Name contains">
          <input
            id="w-q"
            maxLength={200}
            value={q}
            onInput={(e) => {
              setQ(valueOf(e));
              pages.restart();
            }}
          />
        </Field>
      </form>
      <Show loaded={workspaces} what="workspaces">
        {({ workspaces: list, nextCursor }) => (
          <>
            {list.length === 0 ? (
              <Empty>No workspace matches.</Empty>
            ) : (
              <TableWrap label="Workspaces">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Id</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((w) => (
                    <tr key={w.id}>
                      <td>
                        <a href={href(`/admin/workspaces/${w.id}`)}>{w.name}</a>
                      </td>
                      <td>
                        <code>{w.id}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </TableWrap>
            )}
            <PagerIfMore pages={pages} nextCursor={nextCursor} />
          </>
        )}
      </Show>
      <NewWorkspace onCreated={workspaces.reload} />
    </>
  );
}

function NewWorkspace({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [owner, setOwner] = useState('');
  const [created, setCreated] = useState<Workspace | null>(null);
  const submit = useSubmit();
  const errors = fieldErrors(submit.error);
  const save = (event: Event) => {
    event.preventDefault();
    void submit.run(async () => {
      const { workspace } = await call(
        api.POST('/v1/workspaces', { body: { name: name.trim(), ownerUserId: owner.trim() } }),
      );
      setName('');
      setOwner('');
      setCreated(workspace);
      onCreated();
    });
  };
  return (
    <section aria-labelledby="new-ws-title">
      <h2 id="new-ws-title">New workspace</h2>
      <form class="grid" onSubmit={save}>
        <Field id="nw-name" label="Name" error={errors.get('/name')}>
          <input id="nw-name" required maxLength={200} value={name} onInput={(e) => setName(valueOf(e))} />
        </Field>
        <Field
          id="nw-owner"
          label="First owner's user id"
          hint="The sub of their sign-in token (24 hex characters); they add the others."
          error={errors.get('/ownerUserId')}
        >
          <input
            id="nw-owner"
            required
            maxLength={24}
            spellcheck={false}
            aria-describedby="nw-owner-hint"
            value={owner}
            onInput={(e) => setOwner(valueOf(e))}
          />
        </Field>
        <div class="form-end">
          <button type="submit" disabled={submit.busy}>
            Create workspace
          </button>
        </div>
      </form>
      {created ? (
        <p role="status" class="ok">
          Created <a href={href(`/admin/workspaces/${created.id}`)}>{created.name}</a>.
        </p>
      ) : null}
      <Problem error={submit.error} action="create a workspace" />
    </section>
  );
}

export function AdminWorkspacePage({ id }: { id: string }) {
  return (
    <AdminOnly title="Workspace">
      <AdminWorkspace id={id} />
    </AdminOnly>
  );
}

function AdminWorkspace({ id }: { id: string }) {
  const loaded = useApi(
    async () =>
      (await call(api.GET('/v1/workspaces/{workspaceId}', { params: { path: { workspaceId: id } } })))
        .workspace,
    [id],
  );
  return (
    <Show loaded={loaded} what="the workspace">
      {(workspace) => <RenameWorkspace workspace={workspace} onChange={loaded.setData} />}
    </Show>
  );
}

function RenameWorkspace({
  workspace,
  onChange,
}: {
  workspace: Workspace;
  onChange: (w: Workspace) => void;
}) {
  const [name, setName] = useState(workspace.name);
  const [saved, setSaved] = useState(false);
  const submit = useSubmit();
  const save = (event: Event) => {
    event.preventDefault();
    void submit.run(async () => {
      const answer = await call(
        api.PATCH('/v1/workspaces/{workspaceId}', {
          params: { path: { workspaceId: workspace.id } },
          body: { name: name.trim() },
        }),
      );
      setSaved(true);
      onChange(answer.workspace);
    });
  };
  return (
    <>
      <PageTitle
        secondary={
          <>
            Workspace <code>{workspace.id}</code>
          </>
        }
      >
        {workspace.name}
      </PageTitle>
      <p>
        <a href={href('/admin/workspaces')}>All workspaces</a>
      </p>
      <NotOffered>
        Its visits, clients and members are its members&apos; work: the platform admin does not act inside a
        workspace.
      </NotOffered>
      <section aria-labelledby="rename-title">
        <h2 id="rename-title">Rename</h2>
        <form class="grid" onSubmit={save}>
          <Field id="rw-name" label="Name" error={fieldErrors(submit.error).get('/name')}>
            <input
              id="rw-name"
              required
              maxLength={200}
              value={name}
              onInput={(e) => {
                setSaved(false);
                setName(valueOf(e));
              }}
            />
          </Field>
          <div class="form-end">
            <button type="submit" disabled={submit.busy || name.trim() === workspace.name}>
              Save name
            </button>
          </div>
        </form>
        {saved ? (
          <p role="status" class="ok">
            Renamed.
          </p>
        ) : null}
        <Problem error={submit.error} action="rename the workspace" />
      </section>
    </>
  );
}

export function CatalogPage() {
  return (
    <AdminOnly title="Catalog tests">
      <Catalog />
    </AdminOnly>
  );
}

function Catalog() {
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const tests = useApi(
    () =>
      call(api.GET('/v1/labs/tests', { params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } } })),
    [cursor],
  );
  const [editing, setEditing] = useState<CatalogTest | null>(null);
  return (
    <>
      <PageTitle>Catalog tests</PageTitle>
      <p class="muted">
        The tests every workspace books, at these prices unless a workspace sets its own. A visit keeps the
        title and price it was booked with.
      </p>
      <Show loaded={tests} what="catalog tests">
        {({ labTests, nextCursor }) => (
          <>
            {labTests.length === 0 ? (
              <Empty>No catalog test yet.</Empty>
            ) : (
              <TableWrap label="Catalog tests">
                <thead>
                  <tr>
                    <th scope="col">Test</th>
                    <th scope="col">Id</th>
                    <th scope="col" class="num">
                      Price
                    </th>
                    <th scope="col">
                      <span class="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {labTests.map((t) => (
                    <tr key={t.testId}>
                      <td>{t.testTitle}</td>
                      <td>{t.testId}</td>
                      <td class="num">{money(t.price)}</td>
                      <td>
                        <button type="button" class="secondary" onClick={() => setEditing(t)}>
                          Edit {t.testTitle}
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </TableWrap>
            )}
            <PagerIfMore pages={pages} nextCursor={nextCursor} />
          </>
        )}
      </Show>
      <CatalogTestForm
        key={editing?.testId ?? 'new'}
        test={editing}
        onDone={() => {
          setEditing(null);
          tests.reload();
        }}
      />
    </>
  );
}

/** A new catalog test, or a change of one's title and price. */
function CatalogTestForm({ test, onDone }: { test: CatalogTest | null; onDone: () => void }) {
  const [testId, setTestId] = useState(test ? String(test.testId) : '');
  const [title, setTitle] = useState(test?.testTitle ?? '');
  const [price, setPrice] = useState(test ? String(test.price) : '');
  const submit = useSubmit();
  const errors = fieldErrors(submit.error);
  const save = (event: Event) => {
    event.preventDefault();
    void submit.run(async () => {
      const body = { testTitle: title.trim(), price: Number(price) };
      if (test) {
        await call(api.PATCH('/v1/labs/tests/{testId}', { params: { path: { testId: test.testId } }, body }));
      } else {
        await call(api.POST('/v1/labs/tests', { body: { testId: Number(testId), ...body } }));
      }
      onDone();
    });
  };
  return (
    <section aria-labelledby="catalog-form-title">
      <h2 id="catalog-form-title">{test ? `Edit ${test.testTitle}` : 'New catalog test'}</h2>
      <form class="grid" onSubmit={save}>
        {test ? null : (
          <Field id="ct-id" label="Test id" error={errors.get('/testId')}>
            <input
              id="ct-id"
              required
              type="number"
              min="1"
              step="1"
              value={testId}
              onInput={(e) => setTestId(valueOf(e))}
            />
          </Field>
        )}
        <Field id="ct-title" label="Title" error={errors.get('/testTitle')}>
          <input id="ct-title" required maxLength={200} value={title} onInput={(e) => setTitle(valueOf(e))} />
        </Field>
        <Field id="ct-price" label="Price (USD)" error={errors.get('/price')}>
          <input
            id="ct-price"
            required
            type="number"
            min="0"
            step="0.01"
            value={price}
            onInput={(e) => setPrice(valueOf(e))}
          />
        </Field>
        <div class="form-end actions">
          <button type="submit" disabled={submit.busy}>
            {test ? 'Save test' : 'Add test'}
          </button>
          {test ? (
            <button type="button" class="secondary" onClick={onDone}>
              Cancel
            </button>
          ) : null}
        </div>
      </form>
      <Problem error={submit.error} action={test ? 'change this test' : 'add a test'} />
    </section>
  );
}
