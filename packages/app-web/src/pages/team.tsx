import { useState } from 'react';
import { ROLES } from '@palette/domain';
import { api, idempotencyKey, ws, type Page } from '../api.js';
import { useSession, type Role } from '../session.js';
import { Alert, Field, Loading, useLoad, useSubmit } from '../ui.js';
import type { WorkspaceContext } from './shell.js';

interface Member {
  id: string;
  userId: string;
  name: string;
  email: string;
  role: Role;
  joinedAt: string;
}
interface Invitation {
  id: string;
  email: string;
  role: Role;
  createdAt: string;
  expiresAt: string;
}

const ROLE_HELP: Record<Role, string> = {
  owner: 'everything, including billing and other owners',
  admin: 'everything except billing and owners',
  agent: 'inbox, customers and orders',
  analyst: 'reports, catalog and orders, read-only; never messages',
};

export function TeamPage({ ctx }: { ctx: WorkspaceContext }) {
  const { me } = useSession();
  const manage = ctx.can('team.manage');
  const members = useLoad((signal) => api<Page<Member>>('get', ws(ctx.workspaceId, '/members?limit=100'), { signal }), [ctx.workspaceId]);
  const invitations = useLoad((signal) => api<Page<Invitation>>('get', ws(ctx.workspaceId, '/invitations?limit=100'), { signal }), [ctx.workspaceId]);
  const action = useSubmit();
  // Only owners grant the owner role (team.manage_owners); the server enforces it either way.
  const grantable = ROLES.filter((r) => r !== 'owner' || ctx.can('team.manage_owners'));

  return (
    <>
      <h1>Team</h1>
      {action.error ? <Alert>{action.error}</Alert> : null}
      <section aria-labelledby="members-title">
        <h2 id="members-title">Members</h2>
        {members.error ? <Alert>{members.error}</Alert> : null}
        {members.loading && !members.data ? <Loading /> : null}
        <ul className="cards">
          {members.data?.items.map((m) => (
            <li key={m.id} className="card member">
              <div>
                <strong>{m.name}</strong>
                {m.userId === me?.user.id ? <span className="badge">you</span> : null}
                <br />
                <span className="muted">{m.email}</span>
              </div>
              {manage && m.userId !== me?.user.id ? (
                <div className="row-actions">
                  <label>
                    <span className="sr-only">Role of {m.name}</span>
                    <select
                      value={m.role}
                      disabled={action.busy || (m.role === 'owner' && !ctx.can('team.manage_owners'))}
                      onChange={(e) => void action.run(async () => {
                        await api('patch', ws(ctx.workspaceId, `/members/${m.id}`), { body: { role: e.target.value } });
                        members.reload();
                      })}
                    >
                      {(m.role === 'owner' && !ctx.can('team.manage_owners') ? ROLES : grantable).map((r) => (
                        <option key={r} value={r}>
                          {r}
                        </option>
                      ))}
                    </select>
                  </label>
                  <button
                    type="button"
                    className="danger"
                    disabled={action.busy}
                    onClick={() => {
                      if (!confirm(`Remove ${m.name} from the workspace? They lose access at once.`)) return;
                      void action.run(async () => {
                        await api('delete', ws(ctx.workspaceId, `/members/${m.id}`));
                        members.reload();
                      });
                    }}
                  >
                    Remove <span className="sr-only">{m.name}</span>
                  </button>
                </div>
              ) : (
                <span className="badge">{m.role}</span>
              )}
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="invitations-title">
        <h2 id="invitations-title">Invitations</h2>
        {manage ? <InviteForm ctx={ctx} roles={grantable} onInvited={invitations.reload} /> : null}
        {invitations.error ? <Alert>{invitations.error}</Alert> : null}
        {invitations.data && invitations.data.items.length === 0 ? <p className="muted">No pending invitations.</p> : null}
        <ul className="cards">
          {invitations.data?.items.map((i) => (
            <li key={i.id} className="card member">
              <div>
                <strong>{i.email}</strong> <span className="badge">{i.role}</span>
                <br />
                <span className="muted">Expires {new Date(i.expiresAt).toLocaleDateString()}</span>
              </div>
              {manage ? (
                <button
                  type="button"
                  disabled={action.busy}
                  onClick={() => void action.run(async () => {
                    await api('delete', ws(ctx.workspaceId, `/invitations/${i.id}`));
                    invitations.reload();
                  })}
                >
                  Revoke <span className="sr-only">the invitation to {i.email}</span>
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}

function InviteForm({ ctx, roles, onInvited }: { ctx: WorkspaceContext; roles: readonly Role[]; onInvited: () => void }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('agent');
  const [key, setKey] = useState(idempotencyKey);
  const [sent, setSent] = useState<string | null>(null);
  const submit = useSubmit();
  return (
    <form
      className="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        void submit.run(async () => {
          // The same key for retries of this one invitation: a double submit sends one mail.
          await api('post', ws(ctx.workspaceId, '/invitations'), { body: { email, role }, headers: { 'Idempotency-Key': key } });
          setSent(email);
          setEmail('');
          setKey(idempotencyKey());
          onInvited();
        });
      }}
    >
      {submit.error ? <Alert>{submit.error}</Alert> : null}
      {sent ? <Alert kind="success">Invitation sent to {sent}. The link works for 7 days.</Alert> : null}
      <Field label="Email to invite" name="email" type="email" value={email} onChange={setEmail} required error={submit.fieldErrors.email} />
      <Field label="Role" name="role" value={role} onChange={(r) => setRole(r as Role)} options={roles} required hint={ROLE_HELP[role]} />
      <button type="submit" className="primary" disabled={submit.busy}>
        Send invitation
      </button>
    </form>
  );
}
