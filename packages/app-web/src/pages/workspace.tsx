import { useState, type FormEvent } from 'react';
import { api, ApiError, ws, type Page } from '../api.js';
import { Link } from '../router.js';
import { Alert, DataTable, Field, Loading, NotAvailable, SchemaForm, useLoad, useSubmit } from '../ui.js';
import type { WorkspaceContext } from './shell.js';

interface Faq {
  question: string;
  answer: string;
}
interface BusinessProfile {
  storeName: string;
  tone: string;
  shippingPolicy: string;
  returnPolicy: string;
  openingHours: string;
  faq: Faq[];
}
interface WorkspaceDto {
  id: string;
  name: string;
  timezone: string;
  currency: string;
  businessProfile: BusinessProfile | null;
  version: number;
  updatedAt: string;
}

const EMPTY_PROFILE: BusinessProfile = { storeName: '', tone: '', shippingPolicy: '', returnPolicy: '', openingHours: '', faq: [] };

const INSTAGRAM = '/api/workspaces/:workspaceId/instagram';

interface InstagramAccount {
  id: string;
  username: string;
  status: 'connected' | 'token_expired' | 'revoked' | 'disconnected';
  statusReason: string | null;
  tokenExpiresAt: string | null;
  tokenRefreshedAt?: string | null;
  connectedAt: string;
}
interface ConnectionHealth {
  lastMessageReceived: Array<{ accountId: string; at: string }>;
  quarantinedDeliveries: number;
  lastQuarantinedAt: string | null;
}
interface InstagramState {
  accounts: InstagramAccount[];
  sandbox: boolean;
  configured: boolean;
  health?: ConnectionHealth;
}

const stamp = (iso: string | null | undefined) => (iso ? <time dateTime={iso}>{new Date(iso).toLocaleString()}</time> : 'never');

/**
 * Is Instagram actually reaching us? Per account: token expiry and last refresh, the last customer
 * message stored (each came by webhook or by the delivery-gap backfill), and webhook deliveries
 * held in quarantine, each of which is a gap until replayed.
 */
function ConnectionHealthSection({ ctx }: { ctx: WorkspaceContext }) {
  const available = ctx.catalog.has('get', INSTAGRAM) && ctx.can('instagram.read');
  const state = useLoad((signal) => (available ? api<InstagramState>('get', ws(ctx.workspaceId, '/instagram'), { signal }) : Promise.resolve(null)), [ctx.workspaceId, available]);
  if (!available) return null;
  const data = state.data;
  const health = data?.health;
  return (
    <section aria-labelledby="ig-health">
      <h2 id="ig-health">Instagram connection health</h2>
      {state.error ? <Alert>{state.error}</Alert> : null}
      {!data && !state.error ? <Loading /> : null}
      {data && data.accounts.length === 0 ? <p className="muted">No Instagram account is connected yet.</p> : null}
      {data && data.accounts.length > 0 ? (
        <ul className="cards" aria-label="Connection health by account">
          {data.accounts.map((a) => {
            const last = health?.lastMessageReceived.find((h) => h.accountId === a.id)?.at ?? null;
            return (
              <li key={a.id} className="card">
                <h3>@{a.username}</h3>
                <dl className="details">
                  <div>
                    <dt>Account</dt>
                    <dd>{a.status.replaceAll('_', ' ')}{a.statusReason ? ` (${a.statusReason})` : ''}</dd>
                  </div>
                  <div>
                    <dt>Token expires</dt>
                    <dd>{a.tokenExpiresAt ? <>{stamp(a.tokenExpiresAt)} (in {daysUntil(a.tokenExpiresAt)} days)</> : '—'}</dd>
                  </div>
                  <div>
                    <dt>Token last refreshed</dt>
                    <dd>{stamp(a.tokenRefreshedAt)}</dd>
                  </div>
                  <div>
                    <dt>Last webhook message received</dt>
                    <dd>{stamp(last)}</dd>
                  </div>
                </dl>
              </li>
            );
          })}
        </ul>
      ) : null}
      {health ? (
        <p data-testid="delivery-gaps">
          Delivery gaps: {health.quarantinedDeliveries === 0 ? 'none — every webhook delivery was applied.' : <>{health.quarantinedDeliveries} webhook deliver{health.quarantinedDeliveries === 1 ? 'y' : 'ies'} held in quarantine, the latest {stamp(health.lastQuarantinedAt)}.</>}
        </p>
      ) : null}
    </section>
  );
}

const daysUntil = (iso: string) => Math.round((new Date(iso).getTime() - Date.now()) / 86_400_000);

/** The connection's health and the way to (re)connect: a plain link, since connecting is a redirect to Instagram's consent page. */
export function InstagramPanel({ ctx }: { ctx: WorkspaceContext }) {
  const hasStatus = ctx.catalog.has('get', INSTAGRAM) && ctx.can('instagram.read');
  const hasConnect = ctx.catalog.has('get', `${INSTAGRAM}/connect`);
  const state = useLoad((signal) => (hasStatus ? api<InstagramState>('get', ws(ctx.workspaceId, '/instagram'), { signal }) : Promise.resolve(null)), [ctx.workspaceId, hasStatus]);
  const action = useSubmit();
  if (!hasConnect && !hasStatus) return <p className="muted">Connecting Instagram is not available on this server yet.</p>;
  const data = state.data;
  const connected = data?.accounts.filter((a) => a.status === 'connected') ?? [];
  return (
    <div className="instagram">
      {state.error ? <Alert>{state.error}</Alert> : null}
      {action.error ? <Alert>{action.error}</Alert> : null}
      {data?.accounts.length ? (
        <ul className="cards">
          {data.accounts.map((a) => (
            <li key={a.id} className="card member">
              <div>
                <strong>@{a.username}</strong> <span className={`badge status-${a.status}`}>{a.status.replace('_', ' ')}</span>
                <br />
                <span className="muted">
                  {a.statusReason ?? (a.tokenExpiresAt ? `Access renews by ${new Date(a.tokenExpiresAt).toLocaleDateString()} (${daysUntil(a.tokenExpiresAt)} days)` : `Connected ${new Date(a.connectedAt).toLocaleDateString()}`)}
                </span>
              </div>
              {a.status === 'connected' && ctx.can('instagram.manage') && ctx.catalog.has('post', `${INSTAGRAM}/disconnect`) ? (
                <button
                  type="button"
                  disabled={action.busy}
                  onClick={() => {
                    if (!confirm(`Disconnect @${a.username}? The assistant stops answering its messages.`)) return;
                    void action.run(async () => {
                      await api('post', ws(ctx.workspaceId, '/instagram/disconnect'), { body: { accountId: a.id } });
                      state.reload();
                    });
                  }}
                >
                  Disconnect <span className="sr-only">@{a.username}</span>
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
      {data && !data.configured ? (
        <p className="muted">Instagram is not configured on this server: the operator sets INSTAGRAM_APP_ID and INSTAGRAM_APP_SECRET (or runs the sandbox simulator).</p>
      ) : hasConnect && ctx.can('instagram.manage') ? (
        <p>
          <a className="button primary" href={ws(ctx.workspaceId, '/instagram/connect')}>
            {connected.length > 0 ? 'Connect another account' : data?.sandbox ? 'Connect the sandbox simulator account' : 'Connect an Instagram Professional account'}
          </a>
        </p>
      ) : hasConnect ? (
        <p className="muted">An owner or admin connects the Instagram account.</p>
      ) : null}
    </div>
  );
}

export function HomePage({ ctx }: { ctx: WorkspaceContext }) {
  const workspace = useLoad((signal) => api<WorkspaceDto>('get', ws(ctx.workspaceId), { signal }), [ctx.workspaceId]);
  const hasProfile = Boolean(workspace.data?.businessProfile?.storeName);
  return (
    <>
      <h1>Welcome to {ctx.workspaceName}</h1>
      <p className="lead">Three steps get your assistant answering Instagram messages from your live catalog.</p>
      <ol className="checklist">
        <li>
          <h2>Connect Instagram</h2>
          <InstagramPanel ctx={ctx} />
        </li>
        <li>
          <h2>Tell the assistant about your shop {hasProfile ? <span className="badge ok">done</span> : null}</h2>
          {workspace.loading && !workspace.data ? <Loading /> : null}
          {workspace.error ? <Alert>{workspace.error}</Alert> : null}
          {workspace.data ? (
            ctx.can('workspace.settings') ? (
              <BusinessProfileForm workspace={workspace.data} onSaved={workspace.reload} />
            ) : (
              <p>Only owners and admins edit the business profile.</p>
            )
          ) : null}
        </li>
        <li>
          <h2>Add your products</h2>
          <p>
            <Link to={`/w/${ctx.workspaceId}/catalog`}>Open the catalog</Link> to add products, variants and prices.
          </p>
        </li>
      </ol>
    </>
  );
}

export function BusinessProfileForm({ workspace, onSaved }: { workspace: WorkspaceDto; onSaved: () => void }) {
  const [profile, setProfile] = useState<BusinessProfile>(workspace.businessProfile ?? EMPTY_PROFILE);
  const [saved, setSaved] = useState(false);
  const submit = useSubmit();
  const set = (key: Exclude<keyof BusinessProfile, 'faq'>) => (value: string) => {
    setSaved(false);
    setProfile({ ...profile, [key]: value });
  };
  const setFaq = (i: number, key: keyof Faq, value: string) => setProfile({ ...profile, faq: profile.faq.map((f, j) => (j === i ? { ...f, [key]: value } : f)) });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run(async () => {
      try {
        await api('patch', ws(workspace.id), { body: { version: workspace.version, businessProfile: { ...profile, faq: profile.faq.filter((f) => f.question.trim() !== '') } } });
        setSaved(true);
        onSaved();
      } catch (error) {
        if (error instanceof ApiError && error.status === 409) {
          onSaved();
          throw new Error('Someone else changed the workspace meanwhile. The latest version is loaded; check it and save again.');
        }
        throw error;
      }
    });
  };
  const f = (key: string) => submit.fieldErrors[`businessProfile.${key}`];
  return (
    <form onSubmit={onSubmit} className="profile-form">
      {submit.error ? <Alert>{submit.error}</Alert> : null}
      {saved ? <Alert kind="success">The business profile is saved. The assistant uses it from the next message.</Alert> : null}
      <Field label="Store name" name="storeName" value={profile.storeName} onChange={set('storeName')} error={f('storeName')} />
      <Field label="Tone of voice" name="tone" value={profile.tone} onChange={set('tone')} hint="For example: warm, brief, uses the customer's first name." error={f('tone')} />
      <Field label="Shipping policy" name="shippingPolicy" value={profile.shippingPolicy} onChange={set('shippingPolicy')} multiline error={f('shippingPolicy')} />
      <Field label="Returns policy" name="returnPolicy" value={profile.returnPolicy} onChange={set('returnPolicy')} multiline error={f('returnPolicy')} />
      <Field label="Opening hours" name="openingHours" value={profile.openingHours} onChange={set('openingHours')} error={f('openingHours')} />
      <fieldset>
        <legend>Frequently asked questions</legend>
        {profile.faq.map((item, i) => (
          <div className="faq-item" key={i}>
            <Field label={`Question ${i + 1}`} name={`faq.${i}.question`} value={item.question} onChange={(v) => setFaq(i, 'question', v)} />
            <Field label={`Answer ${i + 1}`} name={`faq.${i}.answer`} value={item.answer} onChange={(v) => setFaq(i, 'answer', v)} multiline />
            <button type="button" className="link-button" onClick={() => setProfile({ ...profile, faq: profile.faq.filter((_, j) => j !== i) })}>
              Remove question {i + 1}
            </button>
          </div>
        ))}
        <button type="button" onClick={() => setProfile({ ...profile, faq: [...profile.faq, { question: '', answer: '' }] })} disabled={profile.faq.length >= 50}>
          Add a question
        </button>
      </fieldset>
      <button type="submit" className="primary" disabled={submit.busy}>
        {submit.busy ? 'Saving…' : 'Save business profile'}
      </button>
    </form>
  );
}

function WorkspaceSettingsForm({ workspace, onSaved }: { workspace: WorkspaceDto; onSaved: () => void }) {
  const [name, setName] = useState(workspace.name);
  const [timezone, setTimezone] = useState(workspace.timezone);
  const [saved, setSaved] = useState(false);
  const submit = useSubmit();
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void submit.run(async () => {
          await api('patch', ws(workspace.id), { body: { version: workspace.version, name, timezone } });
          setSaved(true);
          onSaved();
        });
      }}
    >
      {submit.error ? <Alert>{submit.error}</Alert> : null}
      {saved ? <Alert kind="success">Saved.</Alert> : null}
      <Field label="Workspace name" name="name" value={name} onChange={setName} required error={submit.fieldErrors.name} />
      <Field label="Time zone" name="timezone" value={timezone} onChange={setTimezone} required hint="Reports cut days in this zone, e.g. Europe/Lisbon." error={submit.fieldErrors.timezone} />
      <p className="muted">Currency: {workspace.currency} (fixed when the workspace was created).</p>
      <button type="submit" className="primary" disabled={submit.busy}>
        Save settings
      </button>
    </form>
  );
}

interface AuditEntry {
  id: string;
  action: string;
  occurredAt?: string;
  [key: string]: unknown;
}

export function SettingsPage({ ctx }: { ctx: WorkspaceContext }) {
  const workspace = useLoad((signal) => api<WorkspaceDto>('get', ws(ctx.workspaceId), { signal }), [ctx.workspaceId]);
  const canAudit = ctx.can('audit.read');
  const audit = useLoad((signal) => (canAudit ? api<Page<AuditEntry>>('get', ws(ctx.workspaceId, '/audit?limit=20'), { signal }) : Promise.resolve(null)), [ctx.workspaceId, canAudit]);
  const canRequests = canAudit && ctx.catalog.has('get', '/api/workspaces/:workspaceId/audit/requests');
  const requests = useLoad((signal) => (canRequests ? api<Page<Record<string, unknown>>>('get', ws(ctx.workspaceId, '/audit/requests?limit=20'), { signal }) : Promise.resolve(null)), [ctx.workspaceId, canRequests]);
  const assistantPath = ctx.catalog.pathsUnder('/api/workspaces/:workspaceId/assistant').find((p) => p.methods.includes('put') || p.methods.includes('patch'));
  const assistantMethod = assistantPath?.methods.includes('put') ? 'put' : 'patch';
  const assistantSchema = assistantPath ? ctx.catalog.requestSchema(assistantMethod, assistantPath.path) : undefined;
  const auditSchema = ctx.catalog.responseSchema('get', '/api/workspaces/:workspaceId/audit');
  const auditItem = auditSchema?.properties?.items?.items ? ctx.catalog.resolve(auditSchema.properties.items.items) : undefined;
  return (
    <>
      <h1>Settings</h1>
      {workspace.error ? <Alert>{workspace.error}</Alert> : null}
      <section aria-labelledby="ig-settings">
        <h2 id="ig-settings">Instagram connection</h2>
        <InstagramPanel ctx={ctx} />
      </section>
      <ConnectionHealthSection ctx={ctx} />
      {workspace.data && ctx.can('workspace.settings') ? (
        <>
          <section aria-labelledby="ws-settings">
            <h2 id="ws-settings">Workspace</h2>
            <WorkspaceSettingsForm key={workspace.data.version} workspace={workspace.data} onSaved={workspace.reload} />
          </section>
          <section aria-labelledby="bp-settings">
            <h2 id="bp-settings">Business profile</h2>
            <BusinessProfileForm key={workspace.data.version} workspace={workspace.data} onSaved={workspace.reload} />
          </section>
        </>
      ) : null}
      <section aria-labelledby="assistant-settings">
        <h2 id="assistant-settings">Assistant</h2>
        {assistantPath && assistantSchema && ctx.can('assistant.configure') ? (
          <SchemaForm schema={assistantSchema} catalog={ctx.catalog} submitLabel="Save assistant settings" onSubmit={async (body) => void (await api(assistantMethod, assistantPath.path.replace(':workspaceId', ctx.workspaceId), { body }))} />
        ) : assistantPath ? (
          <p className="muted">Owners and admins configure the assistant.</p>
        ) : (
          <NotAvailable feature="Assistant settings" route="/api/workspaces/:workspaceId/assistant" />
        )}
      </section>
      {canAudit ? (
        <section aria-labelledby="audit-log">
          <h2 id="audit-log">Audit log</h2>
          {audit.error ? <Alert>{audit.error}</Alert> : null}
          {audit.data ? (
            audit.data.items.length === 0 ? (
              <p className="muted">Nothing recorded yet.</p>
            ) : (
              <DataTable caption="Audit log" rows={audit.data.items} columns={auditItem?.properties ? Object.keys(auditItem.properties).filter((k) => !/^(id|workspaceId|details)$/.test(k)).slice(0, 6) : ['action']} />
            )
          ) : null}
        </section>
      ) : null}
      {canRequests ? (
        <section aria-labelledby="request-log">
          <h2 id="request-log">API requests</h2>
          <p className="muted">Every request made in this workspace: when, by whom, which route and with what outcome. Kept one year.</p>
          {requests.error ? <Alert>{requests.error}</Alert> : null}
          {requests.data ? (
            requests.data.items.length === 0 ? (
              <p className="muted">Nothing recorded yet.</p>
            ) : (
              <DataTable caption="API requests" rows={requests.data.items} columns={['at', 'method', 'route', 'status', 'durationMs', 'userId']} />
            )
          ) : null}
        </section>
      ) : null}
    </>
  );
}
