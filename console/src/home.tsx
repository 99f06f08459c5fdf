/**
 * After sign-in, what this sign-in works on: a clinic member's workspace (or the workspaces to
 * pick from) with its everyday pages one click away; a brand's lab orders; the platform admin's
 * workspaces and catalog; and for a customer, a sentence saying what the console is for.
 */
import { api, call } from './api/client';
import type { Me, Workspace } from './api/types';
import { href } from './router';
import { can, useSignedIn } from './signed-in';
import { Empty, PageTitle, Show, useApi } from './ui';

export function Home() {
  const { me } = useSignedIn();
  return (
    <>
      <PageTitle>Home</PageTitle>
      <p>
        Signed in as {me.name ?? me.email ?? <code>{me.sub}</code>}
        {me.name || me.email ? (
          <span class="muted">
            {' '}
            (<code>{me.sub}</code>)
          </span>
        ) : null}
        {me.persona ? ` (${me.persona === 'admin' ? 'platform admin' : me.persona})` : ''}.
      </p>
      {me.persona === 'customer' ? (
        <p data-testid="customer-home">
          This console is for the people who run lab work: clinic owners and staff, a brand&apos;s operators
          and the platform admin. A customer has nothing to do here; your clinic shares your results with you.
        </p>
      ) : (
        <>
          {me.persona === 'admin' ? <AdminHome /> : <MemberWorkspaces />}
          {can.readOrders(me) ? <ClinicalHome me={me} /> : null}
        </>
      )}
    </>
  );
}

const workspacesOf = () => call(api.GET('/v1/workspaces', { params: { query: { limit: 200 } } }));

/** A clinic member's workspaces, each with its everyday pages. */
function MemberWorkspaces() {
  const workspaces = useApi(workspacesOf, []);
  return (
    <Show loaded={workspaces} what="workspaces">
      {({ workspaces: list }) =>
        list.length === 0 ? null : (
          <section aria-labelledby="ws-title">
            <h2 id="ws-title">{list.length === 1 ? 'Your workspace' : 'Your workspaces: pick one'}</h2>
            <ul class="cards-list">
              {list.map((w) => (
                <WorkspaceCard key={w.id} workspace={w} />
              ))}
            </ul>
          </section>
        )
      }
    </Show>
  );
}

function WorkspaceCard({ workspace }: { workspace: Workspace }) {
  const to = (page: string) => href(`/w/${workspace.id}${page}`);
  return (
    <li class="card">
      <a class="card-title" href={to('/visits')}>
        {workspace.name}
      </a>
      <div class="muted small">
        <code>{workspace.id}</code>
      </div>
      <ul class="quick-links" aria-label={`${workspace.name}: pages`}>
        <li>
          <a href={to('/visits')}>Visits</a>
        </li>
        <li>
          <a href={to('/visits/new')}>Book a visit</a>
        </li>
        <li>
          <a href={to('/clients')}>Clients</a>
        </li>
      </ul>
    </li>
  );
}

function ClinicalHome({ me }: { me: Me }) {
  return (
    <section aria-labelledby="orders-title">
      <h2 id="orders-title">Clinical lab orders</h2>
      <ul class="links">
        <li>
          <a href={href('/orders')}>Lab orders</a>
          {me.brand_ids ? ` of ${me.brand_ids.join(', ')}` : ''}
        </li>
        {can.writeOrders(me) ? (
          <li>
            <a href={href('/orders/new')}>Place a lab order</a>
          </li>
        ) : null}
      </ul>
    </section>
  );
}

/** The platform admin: every workspace (its own page, not the members' pages it may not open) and the catalog. */
function AdminHome() {
  const workspaces = useApi(workspacesOf, []);
  return (
    <>
      <section aria-labelledby="ws-title">
        <h2 id="ws-title">Workspaces</h2>
        <p class="muted">
          The platform admin creates and renames workspaces; the work inside them is their members&apos;.
        </p>
        <p>
          <a href={href('/admin/workspaces')}>Manage workspaces</a>
        </p>
        <Show loaded={workspaces} what="workspaces">
          {({ workspaces: list }) =>
            list.length === 0 ? (
              <Empty>No workspace yet.</Empty>
            ) : (
              <ul class="links">
                {list.map((w) => (
                  <li key={w.id}>
                    <a href={href(`/admin/workspaces/${w.id}`)}>{w.name}</a> <span class="muted">{w.id}</span>
                  </li>
                ))}
              </ul>
            )
          }
        </Show>
      </section>
      <section aria-labelledby="catalog-title">
        <h2 id="catalog-title">Catalog</h2>
        <p>
          <a href={href('/catalog')}>Catalog tests</a>: the tests every workspace books, with their prices.
        </p>
      </section>
    </>
  );
}
