/** The console's frame: sign-in, or the signed-in header, navigation and the page of the route. */
import { useEffect, useState } from 'preact/hooks';
import { AdminWorkspacePage, AdminWorkspacesPage, CatalogPage } from './admin';
import { api, call } from './api/client';
import { ApiKeysPage } from './clinical/api-keys';
import { OrderPage } from './clinical/order';
import { OrdersPage } from './clinical/orders';
import { PlaceOrderPage } from './clinical/place-order';
import { ClinicalWebhookPage, ClinicalWebhooksPage } from './clinical/webhooks';
import { demoPersonas } from './demo';
import { Home } from './home';
import { href, match, navigate, useRoute } from './router';
import { askOtherTabs, session } from './session';
import { SignIn } from './sign-in';
import { can, SignedInContext, whoIs, type SignedIn } from './signed-in';
import { Problem, useApi } from './ui';
import { WorkspaceLayout } from './workspace/layout';

function useToken(): string | null {
  const [token, setToken] = useState(() => session.token());
  useEffect(() => session.subscribe(() => setToken(session.token())), []);
  return token;
}

export function App() {
  const token = useToken();
  // A new tab first asks the console's other tabs for their sign-in (session.ts).
  const [asked, setAsked] = useState(() => token !== null);
  useEffect(() => {
    if (!asked) void askOtherTabs().then(() => setAsked(true));
  }, []);
  if (token === null && !asked) {
    return (
      <main id="main">
        <p role="status">Signing in…</p>
      </main>
    );
  }
  // A new token is a new sign-in: every page starts over.
  return token === null ? <SignIn /> : <SignedInApp key={token} />;
}

function SignedInApp() {
  const loaded = useApi(async (): Promise<SignedIn> => {
    const [me, personas] = await Promise.all([call(api.GET('/v1/me')), demoPersonas().catch(() => null)]);
    return { me, demo: personas !== null };
  }, []);
  const route = useRoute();
  return (
    <>
      <a class="skip" href="#main" onClick={skipToMain}>
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href('/')}>
          labline console
        </a>
        {loaded.data ? (
          <nav aria-label="Main">
            <a href={href('/')} aria-current={route === '/' ? 'page' : undefined}>
              Home
            </a>
            {can.readOrders(loaded.data.me) ? (
              <a href={href('/orders')} aria-current={route.startsWith('/orders') ? 'page' : undefined}>
                Lab orders
              </a>
            ) : null}
            {can.adminOrders(loaded.data.me) ? (
              <a href={href('/webhooks')} aria-current={route.startsWith('/webhooks') ? 'page' : undefined}>
                Webhooks
              </a>
            ) : null}
            {loaded.data.me.persona === 'admin' ? (
              <>
                <a
                  href={href('/admin/workspaces')}
                  aria-current={route.startsWith('/admin/workspaces') ? 'page' : undefined}
                >
                  Workspaces
                </a>
                <a href={href('/catalog')} aria-current={route === '/catalog' ? 'page' : undefined}>
                  Catalog tests
                </a>
              </>
            ) : null}
            {can.manageKeys(loaded.data.me) ? (
              <a href={href('/api-keys')} aria-current={route === '/api-keys' ? 'page' : undefined}>
                API keys
              </a>
            ) : null}
          </nav>
        ) : null}
        <div class="who">
          {loaded.data ? <span>Signed in as {whoIs(loaded.data.me)}</span> : null}
          <button type="button" class="secondary" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main">
        {loaded.data ? (
          <SignedInContext.Provider value={loaded.data}>
            <Page route={route} />
          </SignedInContext.Provider>
        ) : loaded.error ? (
          <Problem error={loaded.error} />
        ) : (
          <p role="status">Signing in…</p>
        )}
      </main>
    </>
  );
}

/**
 * Signing out lands on the sign-in page at home: the next person starts there, not on a page of
 * the previous persona that they may not use. (A session the API ends keeps its page: signing
 * in again returns to it; see session.expire.)
 */
function signOut(): void {
  navigate('/');
  session.signOut();
}

function skipToMain(event: Event): void {
  // The hash is the router's: move the focus without changing it.
  event.preventDefault();
  document.getElementById('main')?.querySelector<HTMLElement>('h1, [tabindex]')?.focus();
}

function Page({ route }: { route: string }) {
  let params: Record<string, string> | null;
  // The query holds a page's filters (`/orders?status=received`), not which page it is.
  const path = route.split('?')[0];
  if (path === '/') return <Home />;
  if (path === '/orders') return <OrdersPage />;
  if (path === '/orders/new') return <PlaceOrderPage />;
  if ((params = match('/orders/:id', route))) return <OrderPage key={params.id} id={params.id!} />;
  if (path === '/webhooks') return <ClinicalWebhooksPage />;
  if (path === '/api-keys') return <ApiKeysPage />;
  if (path === '/catalog') return <CatalogPage />;
  if (path === '/admin/workspaces') return <AdminWorkspacesPage />;
  if ((params = match('/admin/workspaces/:id', route)))
    return <AdminWorkspacePage key={params.id} id={params.id!} />;
  if ((params = match('/webhooks/:id', route)))
    return <ClinicalWebhookPage key={params.id} id={params.id!} />;
  const workspace = /^\/w\/([^/?]+)(\/.*)?$/.exec(route);
  if (workspace)
    return <WorkspaceLayout key={workspace[1]} workspaceId={workspace[1]!} route={workspace[2] ?? '/'} />;
  return (
    <div class="problem" role="alert">
      There is no page at {route}. <a href={href('/')}>Home</a>
    </div>
  );
}
