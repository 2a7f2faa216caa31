import { useState, type FormEvent } from 'react';
import { api, ws } from '../api.js';
import { Link } from '../router.js';
import { Alert, Field, Loading, NotAvailable, useLoad, useSubmit } from '../ui.js';
import type { WorkspaceContext } from './shell.js';

const WS = '/api/workspaces/:workspaceId';

interface RetentionClass {
  dataClass: string;
  days: number;
  maxDays: number;
  overridden: boolean;
  action: 'delete' | 'anonymize';
  anchor: string;
  meaning: string;
}
interface Receipt {
  id: string;
  kind: 'erasure' | 'revocation' | 'retention';
  policy: string;
  counts: Record<string, number>;
  digest: string;
  createdAt: string;
}
interface RightsRequest {
  id: string;
  type: string;
  subject: 'contact' | 'user';
  contactId: string | null;
  status: string;
  requestedAt: string;
  completedAt: string | null;
  receiptId: string | null;
  outcome: string | null;
}
interface WorkspaceExport {
  id: string;
  status: 'pending' | 'ready' | 'failed';
  contactId: string | null;
  createdAt: string;
  expiresAt: string;
  byteSize: number | null;
  downloadable: boolean;
}
interface Account {
  id: string;
  username: string;
  status: string;
  statusReason: string | null;
  updatedAt: string;
}

const CLASS_LABEL: Record<string, string> = {
  messages: 'Messages', ai_records: 'AI records', contact_profiles: 'Contact profiles', orders: 'Orders', audit_log: 'Audit log', request_log: 'Request log', exports: 'Export bundles', sessions: 'Sessions',
};
const date = (iso: string) => <time dateTime={iso}>{new Date(iso).toLocaleString()}</time>;
const counts = (c: Record<string, number>) => Object.entries(c).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k.replaceAll('_', ' ')}`).join(', ') || 'nothing';

function RetentionSection({ ctx }: { ctx: WorkspaceContext }) {
  const path = ws(ctx.workspaceId, '/privacy/retention');
  const retention = useLoad((signal) => api<{ classes: RetentionClass[] }>('get', path, { signal }), [path]);
  const [days, setDays] = useState<Record<string, string> | null>(null);
  const [saved, setSaved] = useState(false);
  const submit = useSubmit();
  if (retention.error) return <Alert>{retention.error}</Alert>;
  if (!retention.data) return <Loading />;
  const classes = retention.data.classes;
  const values = days ?? Object.fromEntries(classes.map((c) => [c.dataClass, String(c.days)]));
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    void submit.run(async () => {
      // The published maximum is no override: it is what applies when nothing is chosen.
      const body = Object.fromEntries(classes.map((c) => {
        const v = values[c.dataClass]?.trim() ?? '';
        return [c.dataClass, v === '' || Number(v) === c.maxDays ? null : Number(v)];
      }));
      await api('put', path, { body: { days: body } });
      setDays(null);
      setSaved(true);
      retention.reload();
    });
  };
  return (
    <form onSubmit={onSubmit} className="profile-form" aria-labelledby="retention-title">
      {submit.error ? <Alert>{submit.error}</Alert> : null}
      {saved ? <Alert kind="success">Retention periods saved. The hourly sweep applies them from its next run.</Alert> : null}
      {classes.map((c) => (
        <Field
          key={c.dataClass}
          label={`${CLASS_LABEL[c.dataClass] ?? c.dataClass} (days)`}
          name={c.dataClass}
          type="number"
          min={1}
          value={values[c.dataClass] ?? ''}
          onChange={(v) => setDays({ ...values, [c.dataClass]: v })}
          hint={`Published maximum ${c.maxDays} days, counted from ${c.anchor}; then ${c.action === 'delete' ? 'deleted' : 'anonymised'}.`}
          error={submit.fieldErrors[`days.${c.dataClass}`]}
        />
      ))}
      <button type="submit" className="primary" disabled={submit.busy}>
        Save retention periods
      </button>
    </form>
  );
}

function ReceiptsSection({ ctx }: { ctx: WorkspaceContext }) {
  const receipts = useLoad((signal) => api<{ items: Receipt[] }>('get', ws(ctx.workspaceId, '/privacy/receipts'), { signal }), [ctx.workspaceId]);
  const [verifying, setVerifying] = useState<Receipt | null>(null);
  const [ids, setIds] = useState('');
  const [result, setResult] = useState<{ id: string; valid: boolean } | null>(null);
  const submit = useSubmit();
  const canVerify = ctx.catalog.has('post', `${WS}/privacy/receipts/verify`);
  const items = [...(receipts.data?.items ?? [])].reverse();
  return (
    <>
      <h2 id="receipts-title">Deletion receipts</h2>
      <div className="table-wrap receipts" tabIndex={0} role="region" aria-labelledby="receipts-title">
        <table>
          <caption className="sr-only">Deletion receipts, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Date</th>
              <th scope="col">Kind</th>
              <th scope="col">Counts</th>
              <th scope="col">Verify</th>
            </tr>
          </thead>
          <tbody>
            {items.map((r) => (
              <tr key={r.id} data-receipt={r.id}>
                <td>{date(r.createdAt)}</td>
                <td>{r.kind}</td>
                <td>{counts(r.counts)}</td>
                <td>
                  {canVerify ? (
                    <button type="button" className="link-button" onClick={() => { setVerifying(r); setResult(null); setIds(''); }}>
                      Verify <span className="sr-only">the {r.kind} receipt of {new Date(r.createdAt).toLocaleString()}</span>
                    </button>
                  ) : '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {receipts.error ? <Alert>{receipts.error}</Alert> : null}
      {receipts.data && items.length === 0 ? <p className="muted">No receipts yet: erasures, revocation deletions and retention runs each write one.</p> : null}
      {verifying ? (
        <form
          className="profile-form"
          aria-label="Verify a receipt"
          onSubmit={(e) => {
            e.preventDefault();
            void submit.run(async () => {
              const list = ids.split(/\s+/).map((x) => x.trim()).filter(Boolean);
              const r = await api<{ valid: boolean }>('post', ws(ctx.workspaceId, '/privacy/receipts/verify'), { body: { receiptId: verifying.id, ids: list } });
              setResult({ id: verifying.id, valid: r.valid });
            });
          }}
        >
          <p>
            Receipt of {new Date(verifying.createdAt).toLocaleString()} ({verifying.kind}, policy <code>{verifying.policy}</code>), SHA-256 <code className="digest">{verifying.digest}</code>
          </p>
          {submit.error ? <Alert>{submit.error}</Alert> : null}
          <Field label="Removed ids" name="ids" value={ids} onChange={setIds} multiline hint="One per line, as class:id (for example messages:…). Valid only if they are exactly the receipt's." />
          <button type="submit" className="primary" disabled={submit.busy}>
            Check receipt
          </button>
          {result && result.id === verifying.id ? (
            <Alert kind={result.valid ? 'success' : 'error'}>{result.valid ? 'Valid: these ids are exactly what the receipt covers.' : 'Not valid: the ids do not match this receipt.'}</Alert>
          ) : null}
        </form>
      ) : null}
    </>
  );
}

function RequestsSection({ ctx }: { ctx: WorkspaceContext }) {
  const requests = useLoad((signal) => api<{ items: RightsRequest[] }>('get', ws(ctx.workspaceId, '/privacy/requests'), { signal }), [ctx.workspaceId]);
  if (requests.error) return <Alert>{requests.error}</Alert>;
  if (!requests.data) return <Loading />;
  const items = [...requests.data.items].reverse();
  if (items.length === 0) return <p className="muted">No data-subject requests yet. Erasures, restrictions and exports start from a contact's panel in the inbox.</p>;
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label="Data-subject requests">
      <table>
        <caption className="sr-only">Data-subject requests, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Requested</th>
            <th scope="col">Type</th>
            <th scope="col">Subject</th>
            <th scope="col">Status</th>
            <th scope="col">Completed</th>
          </tr>
        </thead>
        <tbody>
          {items.map((r) => (
            <tr key={r.id}>
              <td>{date(r.requestedAt)}</td>
              <td>{r.type}</td>
              <td>{r.subject === 'contact' ? 'A contact' : 'A member'}</td>
              <td>{r.status.replaceAll('_', ' ')}</td>
              <td>{r.completedAt ? date(r.completedAt) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ExportsSection({ ctx }: { ctx: WorkspaceContext }) {
  const exports = useLoad((signal) => api<{ items: WorkspaceExport[] }>('get', ws(ctx.workspaceId, '/privacy/exports'), { signal }), [ctx.workspaceId]);
  if (exports.error) return <Alert>{exports.error}</Alert>;
  if (!exports.data) return <Loading />;
  if (exports.data.items.length === 0) return <p className="muted">No contact exports in the last 7 days.</p>;
  return (
    <ul className="cards" aria-label="Exports">
      {exports.data.items.map((e) => (
        <li key={e.id} className="card">
          Contact export of {date(e.createdAt)} · {e.status}
          {e.byteSize !== null ? ` · ${Math.ceil(e.byteSize / 1024)} KB` : ''} · expires {date(e.expiresAt)}{' '}
          {e.downloadable ? (
            <a href={`/api/me/exports/${encodeURIComponent(e.id)}/download`} download>
              Download <span className="sr-only">the contact export of {new Date(e.createdAt).toLocaleString()}</span>
            </a>
          ) : e.status === 'ready' ? (
            <span className="muted">(only the member who asked can download it)</span>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

function RevocationSection({ ctx }: { ctx: WorkspaceContext }) {
  const ig = useLoad((signal) => (ctx.can('instagram.read') ? api<{ accounts: Account[] }>('get', ws(ctx.workspaceId, '/instagram'), { signal }) : Promise.resolve(null)), [ctx.workspaceId]);
  const receipts = useLoad((signal) => api<{ items: Receipt[] }>('get', ws(ctx.workspaceId, '/privacy/receipts'), { signal }), [ctx.workspaceId]);
  const revocations = (receipts.data?.items ?? []).filter((r) => r.kind === 'revocation');
  if (ig.error) return <Alert>{ig.error}</Alert>;
  if (ig.data === undefined) return <Loading />;
  const accounts = ig.data?.accounts ?? [];
  return (
    <>
      {accounts.length === 0 ? <p className="muted">No Instagram account has been connected.</p> : null}
      <ul className="plain-list" aria-label="Instagram connections">
        {accounts.map((a) => {
          const detached = a.status === 'revoked' || a.status === 'disconnected';
          // A revocation deletion writes a receipt when it is done; until then the request is pending.
          const done = revocations.some((r) => new Date(r.createdAt) >= new Date(a.updatedAt));
          return (
            <li key={a.id}>
              @{a.username}: <strong>{a.status.replaceAll('_', ' ')}</strong>
              {a.statusReason ? ` (${a.statusReason})` : ''}
              {detached ? ` · data deletion ${done ? 'complete' : 'pending'}` : ''}
            </li>
          );
        })}
      </ul>
      <p className="muted">
        {revocations.length} revocation deletion{revocations.length === 1 ? '' : 's'} completed. Meta's deauthorize and data-deletion callbacks also have a public status page under their confirmation code.
      </p>
    </>
  );
}

/**
 * The privacy centre: what the workspace keeps and for how long, the rights requests it handled,
 * the exports it produced, where Instagram access stands, and the receipts that prove removals.
 */
export function PrivacyPage({ ctx }: { ctx: WorkspaceContext }) {
  if (!ctx.catalog.has('get', `${WS}/privacy/receipts`)) {
    return (
      <>
        <h1>Privacy centre</h1>
        <NotAvailable feature="Privacy centre" route={`GET ${WS}/privacy/receipts`} />
      </>
    );
  }
  const has = (path: string) => ctx.catalog.has('get', `${WS}${path}`);
  return (
    <>
      <h1>Privacy centre</h1>
      <p className="lead">
        Retention, data-subject requests, exports, Instagram revocations and deletion receipts. Requests for one customer start from their panel in a{' '}
        <Link to={`/w/${ctx.workspaceId}/inbox`}>conversation</Link> or on their <Link to={`/w/${ctx.workspaceId}/contacts`}>contact page</Link>.
      </p>
      <section aria-labelledby="retention-title">
        <h2 id="retention-title">Retention</h2>
        {has('/privacy/retention') ? <RetentionSection ctx={ctx} /> : <NotAvailable feature="Retention settings" route={`GET ${WS}/privacy/retention`} />}
      </section>
      <section aria-labelledby="requests-title">
        <h2 id="requests-title">Data-subject requests</h2>
        {has('/privacy/requests') ? <RequestsSection ctx={ctx} /> : <NotAvailable feature="Data-subject requests" route={`GET ${WS}/privacy/requests`} />}
      </section>
      <section aria-labelledby="exports-title">
        <h2 id="exports-title">Exports</h2>
        {has('/privacy/exports') ? <ExportsSection ctx={ctx} /> : <NotAvailable feature="Exports" route={`GET ${WS}/privacy/exports`} />}
      </section>
      <section aria-labelledby="revocation-title">
        <h2 id="revocation-title">Instagram revocation status</h2>
        <RevocationSection ctx={ctx} />
      </section>
      <section aria-labelledby="receipts-title">
        <ReceiptsSection ctx={ctx} />
      </section>
    </>
  );
}
