import { useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { can, type Permission } from '@palette/domain';
import type { ApiCatalog } from '../openapi.js';
import { Link, navigate } from '../router.js';
import { useSession, type Role } from '../session.js';
import { useSandboxActive } from './sandbox.js';

export interface WorkspaceContext {
  readonly workspaceId: string;
  readonly workspaceName: string;
  readonly role: Role;
  readonly catalog: ApiCatalog;
  can(permission: Permission): boolean;
}

export const NAV: ReadonlyArray<{ label: string; path: string; permission: Permission }> = [
  { label: 'Home', path: '', permission: 'workspace.read' },
  { label: 'Inbox', path: '/inbox', permission: 'inbox.read' },
  { label: 'Contacts', path: '/contacts', permission: 'contacts.read' },
  { label: 'Orders', path: '/orders', permission: 'orders.read' },
  { label: 'Catalog', path: '/catalog', permission: 'catalog.read' },
  { label: 'Inventory', path: '/inventory', permission: 'catalog.read' },
  { label: 'Reports', path: '/reports', permission: 'reports.read' },
  { label: 'Privacy', path: '/privacy', permission: 'privacy.manage' },
  { label: 'Team', path: '/team', permission: 'team.read' },
  { label: 'Settings', path: '/settings', permission: 'workspace.read' },
];

const SANDBOX_NAV = { label: 'Sandbox', path: '/sandbox', permission: 'messages.read_content' } as const;

/** Arrow keys, Home and End move between menu links; Tab still leaves the menu as usual. */
function onMenuKey(e: KeyboardEvent<HTMLUListElement>) {
  const links = Array.from(e.currentTarget.querySelectorAll<HTMLAnchorElement>('a'));
  const at = links.indexOf(document.activeElement as HTMLAnchorElement);
  if (at < 0) return;
  const to = { ArrowDown: at + 1, ArrowRight: at + 1, ArrowUp: at - 1, ArrowLeft: at - 1, Home: 0, End: links.length - 1 }[e.key];
  if (to === undefined) return;
  e.preventDefault();
  links[(to + links.length) % links.length]?.focus();
}

export function WorkspaceShell({ ctx, path, children }: { ctx: WorkspaceContext; path: string; children: ReactNode }) {
  const { me, signOut } = useSession();
  const [menuOpen, setMenuOpen] = useState(false);
  const main = useRef<HTMLElement>(null);
  const base = `/w/${ctx.workspaceId}`;
  // The sandbox exists only where the server runs the Instagram simulator: ask the API, not the build.
  const sandbox = useSandboxActive(ctx);
  const items = [...NAV.filter((n) => ctx.can(n.permission)), ...(sandbox ? [SANDBOX_NAV] : [])];
  const current = items.filter((n) => path === base + n.path || (n.path !== '' && path.startsWith(`${base}${n.path}/`))).at(-1) ?? (path === base ? items[0] : undefined);

  useEffect(() => {
    setMenuOpen(false);
    // Move focus to the new page's heading so keyboard and screen-reader users land on the content.
    const h1 = main.current?.querySelector<HTMLElement>('h1');
    if (h1 && document.activeElement?.closest('nav') !== null) {
      h1.tabIndex = -1;
      h1.focus();
    }
  }, [path]);

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <button type="button" className="menu-toggle" aria-expanded={menuOpen} aria-controls="main-menu" onClick={() => setMenuOpen((o) => !o)}>
          Menu
        </button>
        <Link to={base} className="brand">
          <span className="logo" aria-hidden="true" /> Palette
        </Link>
        {me && me.memberships.length > 1 ? (
          <label className="switcher">
            <span className="sr-only">Workspace</span>
            <select value={ctx.workspaceId} onChange={(e) => navigate(`/w/${e.target.value}`)}>
              {me.memberships.map((m) => (
                <option key={m.workspaceId} value={m.workspaceId}>
                  {m.workspaceName}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <span className="workspace-name">{ctx.workspaceName}</span>
        )}
        <span className="spacer" />
        <span className="who" title={me?.user.email}>
          {me?.user.name} · {ctx.role}
        </span>
        <button
          type="button"
          className="link-button"
          onClick={() =>
            void signOut().then(() => navigate('/login', { replace: true }))
          }
        >
          Log out
        </button>
      </header>
      <nav aria-label="Main" id="main-menu" className={menuOpen ? 'sidenav open' : 'sidenav'}>
        <ul onKeyDown={onMenuKey}>
          {items.map((n) => (
            <li key={n.label}>
              <Link to={base + n.path} aria-current={current === n ? 'page' : undefined}>
                {n.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" ref={main} className="content" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}

export function makeContext(workspaceId: string, workspaceName: string, role: Role, catalog: ApiCatalog): WorkspaceContext {
  return { workspaceId, workspaceName, role, catalog, can: (p) => can(role, p) };
}
