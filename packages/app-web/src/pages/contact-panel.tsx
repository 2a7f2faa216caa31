import { useEffect, useRef, useState } from 'react';
import { api, ws, type Page } from '../api.js';
import { Link } from '../router.js';
import { Alert, formatMoney, Loading, useLoad, useSubmit } from '../ui.js';
import type { WorkspaceContext } from './shell.js';

const CONTACT = '/api/workspaces/:workspaceId/contacts/:contactId';
const PURPOSES = ['messaging', 'ai_processing', 'marketing', 'analytics'] as const;
const PURPOSE_LABEL: Record<string, string> = { messaging: 'Messaging', ai_processing: 'AI processing', marketing: 'Marketing', analytics: 'Analytics' };

interface ConsentEntry {
  purpose: string;
  decision: 'granted' | 'withdrawn';
  source: string;
  at: string;
  note?: string;
}
export interface ContactDetail {
  id: string;
  username: string | null;
  displayName: string | null;
  restrictions: { aiProcessingObjected: boolean; processingRestricted: boolean };
  lastInteractionAt: string;
  anonymized: boolean;
  consentLedger: ConsentEntry[];
  consent: Record<string, 'granted' | 'withdrawn' | 'unknown'>;
}
interface OrderRow {
  id: string;
  reference: string;
  status: string;
  total?: { amountMinor: number; currency: string; formatted: string } | null;
  createdAt?: string;
}
interface ExportStatus {
  id: string;
  status: 'pending' | 'ready' | 'failed';
  expiresAt: string;
}

const when = (iso: string) => <time dateTime={iso}>{new Date(iso).toLocaleString()}</time>;

/** Polls an export every 2 s until the job has built it (or failed); the link appears only when the zip exists. */
function useExport(exportId: string | null): ExportStatus | null {
  const [status, setStatus] = useState<ExportStatus | null>(null);
  useEffect(() => {
    if (!exportId) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const s = await api<ExportStatus>('get', `/api/me/exports/${encodeURIComponent(exportId)}`);
        if (stopped) return;
        setStatus(s);
        if (s.status === 'pending') timer = setTimeout(() => void poll(), 2000);
      } catch {
        if (!stopped) timer = setTimeout(() => void poll(), 5000);
      }
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [exportId]);
  return status;
}

/**
 * The conversation's side panel: who the customer is, what they bought, what they consented to,
 * and the privacy actions a member may take for them. Every action is a documented API call; the
 * server decides (permissions, anonymised contacts), the panel only shows the answer.
 */
export function ContactPanel({ ctx, contactId, onErased, erased = false }: { ctx: WorkspaceContext; contactId: string; onErased: () => void; erased?: boolean }) {
  const base = ws(ctx.workspaceId, `/contacts/${encodeURIComponent(contactId)}`);
  const canRead = ctx.can('contacts.read') && ctx.catalog.has('get', CONTACT);
  const contact = useLoad((signal) => (canRead ? api<ContactDetail>('get', base, { signal }) : Promise.resolve(null)), [base, canRead]);
  const canOrders = ctx.can('orders.read') && ctx.catalog.has('get', '/api/workspaces/:workspaceId/orders');
  const orders = useLoad(
    (signal) => (canOrders ? api<Page<OrderRow>>('get', ws(ctx.workspaceId, `/orders?limit=20&contactId=${encodeURIComponent(contactId)}`), { signal }) : Promise.resolve(null)),
    [ctx.workspaceId, contactId, canOrders],
  );
  const action = useSubmit();
  const [notice, setNotice] = useState<string | null>(null);
  const [exportId, setExportId] = useState<string | null>(null);
  const exported = useExport(exportId);
  const [confirming, setConfirming] = useState(false);
  const dialog = useRef<HTMLDialogElement>(null);
  const eraseButton = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (confirming && !d.open) d.showModal();
    if (!confirming && d.open) d.close();
  }, [confirming]);

  const canPrivacy = ctx.can('contacts.privacy');
  const canExport = ctx.can('exports.create') && ctx.catalog.has('post', `${CONTACT}/exports`);
  const k = contact.data;

  const run = (work: () => Promise<void>) => void action.run(async () => { setNotice(null); await work(); });
  const setRestrictions = (next: ContactDetail['restrictions'], message: string) =>
    run(async () => {
      await api('put', `${base}/restrictions`, { body: next });
      setNotice(message);
      contact.reload();
    });
  const withdraw = (purpose: string) =>
    run(async () => {
      await api('post', `${base}/consent`, { body: { purpose, decision: 'withdrawn', source: 'contact_request' } });
      setNotice(`${PURPOSE_LABEL[purpose] ?? purpose} consent withdrawn.`);
      contact.reload();
    });
  const startExport = () =>
    run(async () => {
      const started = await api<ExportStatus>('post', `${base}/exports`);
      setExportId(started.id);
      setNotice('Export requested. The download link appears here when the bundle is built.');
    });
  const erase = () =>
    run(async () => {
      try {
        await api('post', `${base}/erasure`);
      } finally {
        setConfirming(false);
      }
      setNotice('The contact is erased: their messages and profile are gone; orders keep only an anonymous id.');
      // The profile is gone (or reduced to a random id): nothing left to reload.
      onErased();
    });

  if (erased) {
    return (
      <section className="contact-panel" aria-label="Contact">
        <h2>Contact</h2>
        <p data-testid="contact-status">Erased</p>
        {notice ? <Alert kind="info">{notice}</Alert> : <p className="muted">This contact was erased; the deletion receipt is in the privacy centre.</p>}
      </section>
    );
  }
  return (
    <section className="contact-panel" aria-label="Contact">
      <h2>Contact</h2>
      {!canRead ? <p className="muted">Your role does not show contact details.</p> : null}
      {contact.error ? <Alert>{contact.error}</Alert> : null}
      {canRead && !k && !contact.error ? <Loading /> : null}
      {k ? (
        <>
          <dl className="details">
            <div>
              <dt>Name</dt>
              <dd>{k.anonymized ? 'Erased contact' : k.displayName ?? '—'}</dd>
            </div>
            <div>
              <dt>Instagram handle</dt>
              <dd>{k.username ? `@${k.username}` : '—'}</dd>
            </div>
            <div>
              <dt>Last interaction</dt>
              <dd>{when(k.lastInteractionAt)}</dd>
            </div>
            <div>
              <dt>Status</dt>
              <dd data-testid="contact-status">{k.anonymized ? 'Erased' : 'Active'}</dd>
            </div>
          </dl>

          <h3>Orders</h3>
          {orders.error ? <Alert>{orders.error}</Alert> : null}
          {!canOrders ? <p className="muted">Orders are not shown to your role.</p> : orders.data && orders.data.items.length === 0 ? <p className="muted">No orders.</p> : null}
          {orders.data && orders.data.items.length > 0 ? (
            <ul className="plain-list" aria-label="Orders of this contact">
              {orders.data.items.map((o) => (
                <li key={o.id}>
                  <Link to={`/w/${ctx.workspaceId}/orders/${encodeURIComponent(o.id)}`}>Order {o.reference}</Link> · {o.status}
                  {o.total ? ` · ${formatMoney(o.total.amountMinor, o.total.currency)}` : ''}
                </li>
              ))}
            </ul>
          ) : null}

          <h3>Restrictions</h3>
          <ul className="plain-list" aria-label="Restrictions">
            <li>Processing restricted: {k.restrictions.processingRestricted ? 'yes' : 'no'}</li>
            <li>Objects to AI processing: {k.restrictions.aiProcessingObjected ? 'yes' : 'no'}</li>
          </ul>

          <h3>Consent</h3>
          <ul className="plain-list" aria-label="Consent by purpose">
            {PURPOSES.map((p) => (
              <li key={p}>
                {PURPOSE_LABEL[p]}: {k.consent[p] ?? 'unknown'}
                {canPrivacy && !k.anonymized && k.consent[p] !== 'withdrawn' ? (
                  <>
                    {' '}
                    <button type="button" className="link-button" disabled={action.busy} onClick={() => withdraw(p)}>
                      Withdraw <span className="sr-only">{PURPOSE_LABEL[p]} consent</span>
                    </button>
                  </>
                ) : null}
              </li>
            ))}
          </ul>
          {k.consentLedger.length > 0 ? (
            <details>
              <summary>Consent ledger ({k.consentLedger.length})</summary>
              <ol className="plain-list" aria-label="Consent ledger">
                {k.consentLedger.map((e, i) => (
                  <li key={i}>
                    {when(e.at)}: {PURPOSE_LABEL[e.purpose] ?? e.purpose} {e.decision} ({e.source.replaceAll('_', ' ')}){e.note ? ` — ${e.note}` : ''}
                  </li>
                ))}
              </ol>
            </details>
          ) : (
            <p className="muted">No consent decisions recorded.</p>
          )}

          <h3>Privacy actions</h3>
          {action.error ? <Alert>{action.error}</Alert> : null}
          {notice ? <Alert kind="info">{notice}</Alert> : null}
          {exported?.status === 'ready' ? (
            <p>
              <a href={`/api/me/exports/${encodeURIComponent(exported.id)}/download`} download>
                Download export
              </a>{' '}
              <span className="muted">(until {new Date(exported.expiresAt).toLocaleDateString()})</span>
            </p>
          ) : exported?.status === 'failed' ? (
            <Alert>The export could not be built. Request it again.</Alert>
          ) : exported?.status === 'pending' ? (
            <p className="muted" role="status">Export being built…</p>
          ) : null}
          <div className="actions stacked">
            {canExport && !k.anonymized ? (
              <button type="button" onClick={startExport} disabled={action.busy}>
                Export contact data
              </button>
            ) : null}
            {canPrivacy && !k.anonymized ? (
              <>
                <button
                  type="button"
                  disabled={action.busy}
                  aria-pressed={k.restrictions.processingRestricted}
                  onClick={() => setRestrictions({ ...k.restrictions, processingRestricted: !k.restrictions.processingRestricted }, k.restrictions.processingRestricted ? 'Processing is no longer restricted.' : 'Processing restricted: no assistant, automation or analytics for this contact.')}
                >
                  Restrict processing
                </button>
                <button
                  type="button"
                  disabled={action.busy}
                  aria-pressed={k.restrictions.aiProcessingObjected}
                  onClick={() => setRestrictions({ ...k.restrictions, aiProcessingObjected: !k.restrictions.aiProcessingObjected }, k.restrictions.aiProcessingObjected ? 'AI objection lifted.' : 'Objection recorded: this contact\'s messages never reach the AI.')}
                >
                  Object to AI processing
                </button>
                <button type="button" className="danger" ref={eraseButton} disabled={action.busy} onClick={() => setConfirming(true)}>
                  Erase contact
                </button>
              </>
            ) : null}
            {!canPrivacy && !canExport ? <p className="muted">Owners and admins handle privacy requests.</p> : null}
          </div>
          <dialog
            ref={dialog}
            aria-labelledby="erase-title"
            aria-describedby="erase-text"
            onClose={() => {
              setConfirming(false);
              eraseButton.current?.focus();
            }}
          >
            <h2 id="erase-title">Erase this contact?</h2>
            <p id="erase-text">
              Their messages, attachments, reactions, AI records and profile are deleted now and cannot be restored. Orders stay for tax, with only an anonymous id.
            </p>
            <div className="actions">
              <button type="button" onClick={() => setConfirming(false)}>
                Cancel
              </button>
              <button type="button" className="danger" disabled={action.busy} onClick={erase}>
                Erase
              </button>
            </div>
          </dialog>
        </>
      ) : null}
    </section>
  );
}

