/** Owners: the catalog with the workspace's own title and price per test (what visits charge). */
import { useState } from 'preact/hooks';
import { api, call } from '../api/client';
import { fieldErrors } from '../field-errors';
import type { WorkspaceTest } from '../api/types';
import { Field, money, PageTitle, Problem, Show, TableWrap, useApi, useSubmit, valueOf } from '../ui';
import { useWorkspace } from './context';
import { allTests } from './data';
import { OwnersOnly } from './owner-only';

export function TestPricesPage() {
  const { workspace, owner } = useWorkspace();
  if (!owner) return <OwnersOnly title="Test prices" what="set the workspace's test prices" />;
  return <TestPrices workspaceId={workspace.id} />;
}

function TestPrices({ workspaceId }: { workspaceId: string }) {
  const tests = useApi(() => allTests(workspaceId), [workspaceId]);
  return (
    <>
      <PageTitle>Test prices</PageTitle>
      <p class="muted">
        A workspace price wins over the catalog price for new visits; booked visits keep theirs.
      </p>
      <Show loaded={tests} what="tests">
        {(list) => (
          <>
            <TableWrap label="Tests and prices">
              <thead>
                <tr>
                  <th scope="col">Test</th>
                  <th scope="col">Catalog title</th>
                  <th scope="col" class="num">
                    Catalog price
                  </th>
                  <th scope="col">Workspace title</th>
                  <th scope="col" class="num">
                    Workspace price
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((t) => (
                  <tr key={t.testId}>
                    <td>{t.testId}</td>
                    <td>{t.testTitle}</td>
                    <td class="num">{money(t.price)}</td>
                    <td>{t.designTest?.testTitle ?? '—'}</td>
                    <td class="num">{t.designTest ? money(t.designTest.price) : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </TableWrap>
            <SetPrice workspaceId={workspaceId} tests={list} onSaved={tests.reload} />
          </>
        )}
      </Show>
    </>
  );
}

function SetPrice({
  workspaceId,
  tests,
  onSaved,
}: {
  workspaceId: string;
  tests: WorkspaceTest[];
  onSaved: () => void;
}) {
  const [testId, setTestId] = useState('');
  const [title, setTitle] = useState('');
  const [price, setPrice] = useState('');
  const submit = useSubmit();
  const choose = (event: Event) => {
    const id = valueOf(event);
    setTestId(id);
    const test = tests.find((t) => String(t.testId) === id);
    setTitle(test ? (test.designTest?.testTitle ?? test.testTitle) : '');
    setPrice(test ? String(test.designTest?.price ?? test.price) : '');
  };
  const save = (event: Event) => {
    event.preventDefault();
    void submit.run(async () => {
      await call(
        api.PUT('/v1/workspace/{workspaceId}/labs/tests/{testId}', {
          params: { path: { workspaceId, testId: Number(testId) } },
          body: { testTitle: title.trim(), price: Number(price) },
        }),
      );
      onSaved();
    });
  };
  return (
    <section aria-labelledby="set-price-title">
      <h2 id="set-price-title">Set a workspace price</h2>
      <form class="grid" onSubmit={save}>
        <Field id="p-test" label="Test">
          <select id="p-test" required value={testId} onChange={choose}>
            <option value="">Choose a test…</option>
            {tests.map((t) => (
              <option key={t.testId} value={t.testId}>
                {t.testTitle} ({t.testId})
              </option>
            ))}
          </select>
        </Field>
        <Field id="p-title" label="Workspace title" error={fieldErrors(submit.error).get('/testTitle')}>
          <input id="p-title" required maxLength={200} value={title} onInput={(e) => setTitle(valueOf(e))} />
        </Field>
        <Field id="p-price" label="Workspace price (USD)" error={fieldErrors(submit.error).get('/price')}>
          <input
            id="p-price"
            required
            type="number"
            min="0"
            step="0.01"
            value={price}
            onInput={(e) => setPrice(valueOf(e))}
          />
        </Field>
        <div class="form-end">
          <button type="submit" disabled={submit.busy || !testId}>
            Save price
          </button>
        </div>
      </form>
      <Problem error={submit.error} action="set this price" />
    </section>
  );
}
