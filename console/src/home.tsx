/** After sign-in: who this is, the workspaces it belongs to, and the lab orders when its scopes allow. */
import { api, call } from './api/client';
import { href } from './router';
import { can, useSignedIn } from './signed-in';
import { Empty, NotOffered, PageTitle, Show, useApi } from './ui';

export function Home() {
  const { me } = useSignedIn();
  const workspaces = useApi(() => call(api.GET('/v1/workspaces', { params: { query: { limit: 200 } } })), []);
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
        {me.persona ? ` (${me.persona === 'admin' ? 'platform admin' : me.persona})` : ''}
        {me.scopes.length > 0 ? `, scopes ${me.scopes.join(', ')}` : ''}.
      </p>
      <section aria-labelledby="ws-title">
        <h2 id="ws-title">Workspaces</h2>
        <Show loaded={workspaces} what="workspaces">
          {({ workspaces: list }) =>
            list.length === 0 ? (
              <Empty>This sign-in belongs to no workspace.</Empty>
            ) : (
              <ul class="links">
                {list.map((w) => (
                  <li key={w.id}>
                    <a href={href(`/w/${w.id}/visits`)}>{w.name}</a> <span class="muted">{w.id}</span>
                  </li>
                ))}
              </ul>
            )
          }
        </Show>
      </section>
      <section aria-labelledby="orders-title">
        <h2 id="orders-title">Clinical lab orders</h2>
        {can.readOrders(me) ? (
          <p>
            <a href={href('/orders')}>Lab orders</a>
            {me.brand_ids ? ` of ${me.brand_ids.join(', ')}` : ''}
          </p>
        ) : (
          <NotOffered>This sign-in has no lab-orders:read scope, so it may not see lab orders.</NotOffered>
        )}
      </section>
    </>
  );
}
