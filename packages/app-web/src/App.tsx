import { lazy, Suspense, useEffect } from 'react';
import { useCatalog } from './openapi.js';
import { CatalogPage, InventoryPage } from './pages/catalog.js';
import { OrdersPage } from './pages/orders.js';
import { ConversationPage, InboxPage } from './pages/inbox.js';
import { AcceptInvitationPage, LogInPage, ResetPasswordPage, SignUpPage } from './pages/auth.js';
import { CollectionPage, ItemPage } from './pages/resources.js';
import { makeContext, WorkspaceShell, type WorkspaceContext } from './pages/shell.js';
import { PrivacyPage } from './pages/privacy.js';
import { SandboxPage } from './pages/sandbox.js';
import { TeamPage } from './pages/team.js';
import { HomePage, SettingsPage } from './pages/workspace.js';
import { match, navigate, useLocation } from './router.js';
import { SessionProvider, useSession } from './session.js';
import { Alert, Loading } from './ui.js';

// Charts are the heaviest dependency: only the reports page loads them.
const ReportsPage = lazy(() => import('./pages/reports.js'));

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return <Loading />;
}

function WorkspacePage({ ctx, path }: { ctx: WorkspaceContext; path: string }) {
  const base = `/w/${ctx.workspaceId}`;
  const rest = path.slice(base.length) || '/';
  const item = (name: string) => match(`/${name}/:id`, rest)?.id;
  if (rest === '/') return <HomePage ctx={ctx} />;
  if (rest === '/team') return <TeamPage ctx={ctx} />;
  if (rest === '/settings') return <SettingsPage ctx={ctx} />;
  if (rest === '/orders') return <OrdersPage ctx={ctx} />;
  if (item('orders')) return <ItemPage ctx={ctx} name="orders" id={item('orders')!} title="Order" />;
  if (rest === '/catalog') return <CatalogPage ctx={ctx} />;
  if (item('products')) return <ItemPage ctx={ctx} name="products" id={item('products')!} title="Product" />;
  if (rest === '/inventory') return <InventoryPage ctx={ctx} />;
  if (rest === '/inbox') return <InboxPage ctx={ctx} />;
  if (rest === '/sandbox') return <SandboxPage ctx={ctx} />;
  if (item('conversations')) return <ConversationPage key={item('conversations')} ctx={ctx} id={item('conversations')!} />;
  if (rest === '/contacts') return <CollectionPage ctx={ctx} title="Contacts" name="contacts" itemLabel="contact" description="The Instagram customers who wrote to you. Open one for consent, restrictions, export and erasure." />;
  if (item('contacts')) return <ItemPage ctx={ctx} name="contacts" id={item('contacts')!} title="Contact" />;
  if (rest === '/privacy') return <PrivacyPage ctx={ctx} />;
  if (rest === '/reports')
    return (
      <Suspense fallback={<Loading label="Loading charts…" />}>
        <ReportsPage ctx={ctx} />
      </Suspense>
    );
  return (
    <>
      <h1>Page not found</h1>
      <p>Nothing is at this address. Use the menu to find your way.</p>
    </>
  );
}

function Routes() {
  const { path, hash } = useLocation();
  const { me } = useSession();
  const { catalog, error } = useCatalog();

  if (path === '/reset-password') return <ResetPasswordPage key={hash} hash={hash} />;
  if (path === '/invitations/accept') return me === undefined ? <Loading /> : <AcceptInvitationPage key={hash} hash={hash} />;
  if (me === undefined) return <Loading />;
  if (path === '/signup') return me ? <Redirect to="/" /> : <SignUpPage />;
  if (path === '/login') return me ? <Redirect to="/" /> : <LogInPage />;
  if (me === null) return <Redirect to={`/login${path === '/' ? '' : `?next=${encodeURIComponent(path)}`}`} />;

  const workspaceId = /^\/w\/([^/]+)/.exec(path)?.[1];
  const membership = workspaceId ? me.memberships.find((m) => m.workspaceId === decodeURIComponent(workspaceId)) : undefined;
  if (!membership) {
    const first = me.memberships[0];
    if (first) return <Redirect to={`/w/${first.workspaceId}`} />;
    return (
      <main className="auth" id="main">
        <h1>No workspace yet</h1>
        <p>You are not a member of any workspace. Ask an owner for an invitation.</p>
      </main>
    );
  }
  if (error) return <Alert>The API description could not be loaded: {error}</Alert>;
  if (!catalog) return <Loading />;
  const ctx = makeContext(membership.workspaceId, membership.workspaceName, membership.role, catalog);
  return (
    <WorkspaceShell ctx={ctx} path={path}>
      <WorkspacePage ctx={ctx} path={path} />
    </WorkspaceShell>
  );
}

export function App() {
  return (
    <SessionProvider>
      <Routes />
    </SessionProvider>
  );
}
