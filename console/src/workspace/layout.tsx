/**
 * A workspace's pages: reads the workspace and the signed-in member's role and permissions, then
 * offers only what they allow. A persona the API refuses here (a platform admin, a customer, a
 * non-member) sees the API's 403 and nothing to submit.
 */
import { api, call } from '../api/client';
import type { Workspace } from '../api/types';
import { href, match } from '../router';
import { useSignedIn } from '../signed-in';
import { PageTitle, Problem, useApi } from '../ui';
import { BookVisitPage } from './book-visit';
import { ClientPage } from './client';
import { ClientsPage } from './clients';
import { accessOf, WorkspaceContext, wsRoute, type WorkspaceAccess } from './context';
import { CouponsPage } from './coupons';
import { allMembers } from './data';
import { MembersPage } from './members';
import { ReferralsPage } from './referrals';
import { TestPricesPage } from './test-prices';
import { VisitPage } from './visit';
import { VisitsPage } from './visits';
import { WebhookPage, WebhooksPage } from './webhooks';

type Opened = { access: Omit<WorkspaceAccess, 'reload'> } | { workspace: Workspace | null; problem: unknown };

export function WorkspaceLayout({ workspaceId, route }: { workspaceId: string; route: string }) {
  const { me } = useSignedIn();
  const loaded = useApi(async (): Promise<Opened> => {
    const [read, members] = await Promise.allSettled([
      call(api.GET('/v1/workspaces/{workspaceId}', { params: { path: { workspaceId } } })),
      allMembers(workspaceId),
    ]);
    // The platform admin may read a workspace (its name) without being a member.
    const workspace = read.status === 'fulfilled' ? read.value.workspace : null;
    if (read.status === 'rejected') return { workspace, problem: read.reason };
    if (members.status === 'rejected') return { workspace, problem: members.reason };
    const member = members.value.find((m) => m.userId === me.sub);
    if (!member || !workspace)
      return { workspace, problem: new Error('You are not a member of this workspace.') };
    return { access: accessOf(workspace, member) };
  }, [workspaceId, me.sub]);

  if (loaded.error || (loaded.data && 'problem' in loaded.data)) {
    const workspace = loaded.data && 'problem' in loaded.data ? loaded.data.workspace : null;
    return (
      <>
        <PageTitle
          secondary={
            <>
              Workspace <code>{workspaceId}</code>
            </>
          }
        >
          {workspace?.name ?? 'Workspace'}
        </PageTitle>
        <Problem
          error={loaded.error ?? (loaded.data && 'problem' in loaded.data ? loaded.data.problem : null)}
          action="open this workspace"
        />
      </>
    );
  }
  if (!loaded.data) return <p role="status">Loading the workspace…</p>;
  const access: WorkspaceAccess = { ...loaded.data.access, reload: loaded.reload };
  const link = (page: string, label: string) => {
    const to = wsRoute(workspaceId, page);
    const current =
      route.split('?')[0] === page ||
      (page === '/visits' && /^\/visits\/(?!new)/.test(route)) ||
      (page === '/clients' && route.startsWith('/clients/')) ||
      (page === '/webhooks' && route.startsWith('/webhooks/'));
    return (
      <li>
        <a href={href(to)} aria-current={current ? 'page' : undefined}>
          {label}
        </a>
      </li>
    );
  };
  return (
    <WorkspaceContext.Provider value={access}>
      <div class="workspace-head">
        <p class="crumb">
          <span>{access.workspace.name}</span>{' '}
          <span class="muted">
            you are {access.member.role}
            {access.member.role === 'staff' && access.member.permissions.length > 0
              ? ` with ${access.member.permissions.join(', ')}`
              : ''}
          </span>
        </p>
        <nav aria-label="Workspace">
          <ul class="tabs">
            {link('/visits', 'Visits')}
            {access.runLabs ? link('/visits/new', 'Book a visit') : null}
            {link('/clients', 'Clients')}
            {link('/referrals', 'Referrals')}
            {access.owner ? link('/coupons', 'Coupons') : null}
            {access.owner ? link('/tests', 'Test prices') : null}
            {access.owner ? link('/members', 'Members') : null}
            {access.owner ? link('/webhooks', 'Webhooks') : null}
          </ul>
        </nav>
      </div>
      <WorkspacePage route={route} />
    </WorkspaceContext.Provider>
  );
}

function WorkspacePage({ route }: { route: string }) {
  let params: Record<string, string> | null;
  switch (route.split('?')[0]) {
    case '/':
    case '/visits':
      return <VisitsPage />;
    case '/visits/new':
      return <BookVisitPage />;
    case '/clients':
      return <ClientsPage />;
    case '/referrals':
      return <ReferralsPage />;
    case '/coupons':
      return <CouponsPage />;
    case '/tests':
      return <TestPricesPage />;
    case '/members':
      return <MembersPage />;
    case '/webhooks':
      return <WebhooksPage />;
  }
  if ((params = match('/visits/:id', route))) return <VisitPage key={params.id} visitId={params.id!} />;
  if ((params = match('/clients/:id', route))) return <ClientPage key={params.id} clientId={params.id!} />;
  if ((params = match('/webhooks/:id', route)))
    return <WebhookPage key={params.id} endpointId={params.id!} />;
  return (
    <div class="problem" role="alert">
      There is no workspace page at {route}.
    </div>
  );
}
