import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, describeError, idempotencyKey, ws, type Page } from '../api.js';
import { Link } from '../router.js';
import { Alert, Field, Loading, NotAvailable, useLoad, useSubmit } from '../ui.js';
import { ContactPanel } from './contact-panel.js';
import type { WorkspaceContext } from './shell.js';

const LIST = '/api/workspaces/:workspaceId/conversations';
const EVENTS = '/api/workspaces/:workspaceId/events';

interface WindowState {
  status: 'open' | 'human_agent_only' | 'closed';
  closesAt: string | null;
  humanAgentUntil: string | null;
}
interface Summary {
  id: string;
  contact: { id: string; username: string | null; displayName: string | null; anonymized: boolean };
  owner: 'assistant' | 'human' | 'paused';
  unread: boolean;
  unreadCount: number;
  entryPoint: string;
  lastMessage: { direction: string; authorKind: string; text: string | null; attachmentCount: number; sentAt: string } | null;
  lastInteractionAt: string;
  window: WindowState;
}
interface ChatMessage {
  id: string;
  direction: 'inbound' | 'outbound';
  authorKind: string;
  text: string | null;
  attachments: Array<{ type: string; url: string | null }>;
  reactions: Array<{ by: string; emoji: string }>;
  deliveryState: string;
  holdReason: string | null;
  tag: string | null;
  sentAt: string;
  deletedAt: string | null;
}
interface Detail extends Summary {
  messages: Page<ChatMessage>;
}
interface ReplyPolicy {
  allowed: boolean;
  outcome: 'send' | 'hold' | 'refuse';
  tag: string | null;
  reason: string | null;
  takesOver: boolean;
  summary: string;
}

interface AiAudit {
  id: string;
  messageId: string;
  replyMessageId: string | null;
  outcome: string;
  reason: string | null;
  provider: string;
  model: string;
  latencyMs: number;
  inputTokens: number | null;
  outputTokens: number | null;
  toolCalls: Array<{ tool: string; ok: boolean }>;
  checks: Array<{ name: string; passed: boolean; detail: string | null }>;
}
const AI_AUDIT = '/api/workspaces/:workspaceId/conversations/:conversationId/ai-audit';

const OWNER_LABEL: Record<Summary['owner'], string> = { assistant: 'Assistant', human: 'Human', paused: 'Paused' };
const ENTRY_LABEL: Record<string, string> = {
  organic_dm: 'Direct message', ad_referral: 'Ad', link_referral: 'ig.me link', story_reply: 'Story reply', story_mention: 'Story mention', comment: 'Comment',
};
const AUTHOR_LABEL: Record<string, string> = {
  customer: 'Customer', assistant: 'Assistant', automation: 'Automation', agent: 'You (agent)', notification: 'Order notification', instagram_app_echo: 'Sent from the Instagram app',
};

export const contactName = (c: Summary['contact']): string => (c.anonymized ? 'Erased contact' : c.displayName ?? (c.username ? `@${c.username}` : 'Instagram customer'));

function left(iso: string, now: number): string {
  const ms = new Date(iso).getTime() - now;
  const hours = Math.floor(ms / 3600_000);
  if (hours >= 48) return `${Math.floor(hours / 24)} days`;
  if (hours >= 1) return `${hours} h`;
  return `${Math.max(1, Math.ceil(ms / 60_000))} min`;
}

/** "window closes in 3 h", "human-agent window: 5 days left", "closed". */
export function windowText(w: WindowState, now = Date.now()): string {
  if (w.status === 'open' && w.closesAt) return `Window closes in ${left(w.closesAt, now)}`;
  if (w.status === 'human_agent_only' && w.humanAgentUntil) return `Human-agent window: ${left(w.humanAgentUntil, now)} left`;
  if (w.closesAt === null) return 'No customer message yet';
  return 'Window closed';
}

/**
 * Calls `onChange` for each change the server reports for this workspace (Server-Sent Events).
 * EventSource reconnects by itself with Last-Event-ID, so a dropped connection loses nothing.
 */
function useInboxEvents(ctx: WorkspaceContext, onChange: (conversationId: string) => void) {
  const handler = useRef(onChange);
  handler.current = onChange;
  const available = ctx.catalog.has('get', EVENTS);
  useEffect(() => {
    if (!available || typeof EventSource === 'undefined') return;
    const source = new EventSource(ws(ctx.workspaceId, '/events'));
    const on = (e: MessageEvent<string>) => {
      try {
        handler.current((JSON.parse(e.data) as { conversationId: string }).conversationId);
      } catch {
        handler.current('');
      }
    };
    source.addEventListener('message.created', on);
    source.addEventListener('conversation.updated', on);
    return () => source.close();
  }, [available, ctx.workspaceId]);
}

export function InboxPage({ ctx }: { ctx: WorkspaceContext }) {
  const [q, setQ] = useState('');
  const [search, setSearch] = useState('');
  const [owner, setOwner] = useState('');
  const [entryPoint, setEntryPoint] = useState('');
  const [unreadOnly, setUnreadOnly] = useState(false);
  const [older, setOlder] = useState<Summary[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [, setClock] = useState(0);
  const params = new URLSearchParams({ limit: '50' });
  if (search) params.set('q', search);
  if (owner) params.set('owner', owner);
  if (entryPoint) params.set('entryPoint', entryPoint);
  if (unreadOnly) params.set('unread', 'true');
  const query = params.toString();
  const list = useLoad((signal) => api<Page<Summary>>('get', ws(ctx.workspaceId, `/conversations?${query}`), { signal }), [ctx.workspaceId, query]);
  useInboxEvents(ctx, () => list.reload());
  useEffect(() => { setOlder([]); setCursor(null); }, [query]);
  // Countdowns move even when nothing arrives.
  useEffect(() => { const t = setInterval(() => setClock((n) => n + 1), 60_000); return () => clearInterval(t); }, []);

  if (!ctx.catalog.has('get', LIST)) {
    return (
      <>
        <h1>Inbox</h1>
        <NotAvailable feature="Inbox" route={`GET ${LIST}`} />
      </>
    );
  }
  const next = cursor ?? list.data?.nextCursor ?? null;
  const loadMore = async () => {
    if (!next) return;
    const page = await api<Page<Summary>>('get', ws(ctx.workspaceId, `/conversations?${query}&cursor=${encodeURIComponent(next)}`));
    setOlder((o) => [...o, ...page.items]);
    setCursor(page.nextCursor ?? '');
  };
  const rows = [...(list.data?.items ?? []), ...older];
  return (
    <>
      <h1>Inbox</h1>
      <p className="lead">Direct messages from your Instagram customers, newest first. New messages appear here as they arrive.</p>
      <form className="inline-form filters" role="search" aria-label="Filter conversations" onSubmit={(e) => { e.preventDefault(); setSearch(q.trim()); }}>
        <Field label="Search conversations" name="q" value={q} onChange={setQ} hint="Name, handle or last message" />
        <Field label="Owner" name="owner" value={owner} onChange={setOwner} options={['assistant', 'human', 'paused']} />
        <Field label="Entry point" name="entryPoint" value={entryPoint} onChange={setEntryPoint} options={Object.keys(ENTRY_LABEL)} />
        <div className="field">
          <label>
            <input type="checkbox" checked={unreadOnly} onChange={(e) => setUnreadOnly(e.target.checked)} /> Unread only
          </label>
        </div>
        <button type="submit">Search</button>
      </form>
      {list.error ? <Alert>{list.error}</Alert> : null}
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && rows.length === 0 ? <p className="muted">No conversations{search || owner || entryPoint || unreadOnly ? ' match these filters' : ' yet'}.</p> : null}
      <ul className="inbox-list" aria-label="Conversations">
        {rows.map((c) => (
          <li key={c.id} className={c.unread ? 'inbox-item unread' : 'inbox-item'}>
            <Link to={`/w/${ctx.workspaceId}/conversations/${c.id}`}>
              <strong>{contactName(c.contact)}</strong>
              {c.unread ? <span className="badge"> · {c.unreadCount} unread</span> : null}
            </Link>
            <div className="muted">
              <span>Owner: {OWNER_LABEL[c.owner]}</span> · <span>{windowText(c.window)}</span> · <span>{ENTRY_LABEL[c.entryPoint] ?? c.entryPoint}</span>
            </div>
            {c.lastMessage ? (
              <p className="preview">
                {c.lastMessage.direction === 'outbound' ? 'You: ' : ''}
                {c.lastMessage.text ?? (c.lastMessage.attachmentCount > 0 ? `[${c.lastMessage.attachmentCount} attachment(s)]` : '[no text]')}
              </p>
            ) : null}
          </li>
        ))}
      </ul>
      {next ? (
        <button type="button" onClick={() => void loadMore()}>
          Show older conversations
        </button>
      ) : null}
    </>
  );
}

/** What the assistant did for one reply: tools, checked figures, the guardrail's verdict and the model. */
function AuditDetails({ a }: { a: AiAudit }) {
  return (
    <details className="ai-audit">
      <summary>AI audit</summary>
      <dl className="details">
        <div>
          <dt>Guardrail outcome</dt>
          <dd>{a.outcome}{a.reason ? ` (${a.reason.replaceAll('_', ' ')})` : ''}</dd>
        </div>
        <div>
          <dt>Provider and model</dt>
          <dd>{a.provider} / {a.model}</dd>
        </div>
        <div>
          <dt>Latency and tokens</dt>
          <dd>{a.latencyMs} ms{a.inputTokens !== null ? ` · ${a.inputTokens} in / ${a.outputTokens ?? 0} out` : ''}</dd>
        </div>
        <div>
          <dt>Tools used</dt>
          <dd>{a.toolCalls.length === 0 ? 'none' : a.toolCalls.map((t) => `${t.tool}${t.ok ? '' : ' (failed)'}`).join(', ')}</dd>
        </div>
      </dl>
      {a.checks.length > 0 ? (
        <ul className="plain-list" aria-label="Figures checked">
          {a.checks.map((c, i) => (
            <li key={i}>
              {c.passed ? 'Passed' : 'Failed'}: {c.name.replaceAll('_', ' ')}{c.detail ? ` — ${c.detail}` : ''}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">No figures to check.</p>
      )}
    </details>
  );
}

function MessageItem({ m, audit }: { m: ChatMessage; audit?: AiAudit | undefined }) {
  const problem = m.holdReason ? ` (${m.holdReason.replaceAll('_', ' ')})` : '';
  return (
    <li className={`message message-${m.direction}`} aria-label={`${AUTHOR_LABEL[m.authorKind] ?? m.authorKind} message`}>
      <div className="muted">
        <strong>{AUTHOR_LABEL[m.authorKind] ?? m.authorKind}</strong> · <time dateTime={m.sentAt}>{new Date(m.sentAt).toLocaleString()}</time>
        {m.direction === 'outbound' ? <span className="delivery"> · {m.deliveryState}{problem}{m.tag ? ` · ${m.tag}` : ''}</span> : null}
      </div>
      {m.deletedAt ? <p className="muted">The customer unsent this message.</p> : m.text !== null ? <p className="message-text">{m.text}</p> : null}
      {m.attachments.length > 0 ? (
        <ul className="attachments">
          {m.attachments.map((a, i) => (
            <li key={i}>{a.url ? <a href={a.url} target="_blank" rel="noreferrer noopener">{a.type} attachment</a> : `${a.type} attachment`}</li>
          ))}
        </ul>
      ) : null}
      {m.reactions.length > 0 ? <p className="reactions" aria-label="Reactions">{m.reactions.map((r) => `${r.emoji} (${r.by})`).join(' ')}</p> : null}
      {audit ? <AuditDetails a={audit} /> : null}
    </li>
  );
}

export function ConversationPage({ ctx, id }: { ctx: WorkspaceContext; id: string }) {
  const base = ws(ctx.workspaceId, `/conversations/${encodeURIComponent(id)}`);
  const detail = useLoad((signal) => api<Detail>('get', `${base}?limit=50`, { signal }), [base]);
  const canSend = ctx.can('messages.send');
  const canManage = ctx.can('conversations.manage');
  const policy = useLoad((signal) => (canSend ? api<ReplyPolicy>('get', `${base}/reply-policy`, { signal }) : Promise.resolve(undefined)), [base, canSend]);
  const [older, setOlder] = useState<ChatMessage[]>([]);
  const [olderCursor, setOlderCursor] = useState<string | null | undefined>(undefined);
  const [text, setText] = useState('');
  const [key, setKey] = useState(idempotencyKey);
  const [notice, setNotice] = useState<string | null>(null);
  const submit = useSubmit();
  const action = useSubmit();
  const markedRead = useRef(false);
  const canAudit = ctx.can('messages.read_content') && ctx.catalog.has('get', AI_AUDIT);
  const audits = useLoad((signal) => (canAudit ? api<{ items: AiAudit[] }>('get', `${base}/ai-audit`, { signal }) : Promise.resolve(null)), [base, canAudit]);
  // An erasure deletes the conversation itself: the page then shows what happened instead of a 404.
  const [erased, setErased] = useState(false);
  const [contactId, setContactId] = useState<string | null>(null);

  useInboxEvents(ctx, (conversationId) => {
    if (erased) return;
    if (conversationId === '' || conversationId === id) {
      audits.reload();
      detail.reload();
      policy.reload();
    }
  });
  useEffect(() => {
    if (!detail.data?.unread || !canManage || markedRead.current) return;
    markedRead.current = true;
    void api('post', `${base}/read`).catch(() => undefined);
  }, [detail.data, canManage, base]);

  if (erased) {
    return (
      <div className="conversation-layout">
        <div className="thread">
          <p>
            <Link to={`/w/${ctx.workspaceId}/inbox`}>← Inbox</Link>
          </p>
          <h1>Erased contact</h1>
          <p data-testid="erased-thread">This contact was erased: the conversation, its messages and the contact's profile are deleted. Their orders keep only an anonymous id.</p>
        </div>
        {contactId ? <ContactPanel ctx={ctx} contactId={contactId} erased onErased={() => undefined} /> : null}
      </div>
    );
  }
  if (detail.error) {
    return (
      <>
        <h1>Conversation</h1>
        <Alert>{detail.error}</Alert>
      </>
    );
  }
  if (!detail.data) return <Loading />;
  const c = detail.data;
  const auditByReply = new Map((audits.data?.items ?? []).filter((a) => a.replyMessageId).map((a) => [a.replyMessageId!, a]));
  // The API pages newest first; a chat reads oldest first.
  const messages = [...c.messages.items, ...older].reverse();
  const nextOlder = olderCursor === undefined ? c.messages.nextCursor : olderCursor;

  const move = (to: 'takeover' | 'handback') =>
    void action.run(async () => {
      await api('post', `${base}/${to}`);
      setNotice(to === 'takeover' ? 'You own this conversation: the assistant will not answer.' : 'Handed back: the assistant answers the next messages.');
      detail.reload();
      policy.reload();
    });
  const onSend = (e: FormEvent) => {
    e.preventDefault();
    void submit
      .run(async () => {
        await api('post', `${base}/messages`, { headers: { 'Idempotency-Key': key }, body: { text } });
        setText('');
        setKey(idempotencyKey());
        setNotice('Reply queued.');
      })
      // A refused reply is recorded in the thread too: reload either way.
      .then(() => { detail.reload(); policy.reload(); });
  };
  const loadOlder = async () => {
    if (!nextOlder) return;
    try {
      const page = await api<Detail>('get', `${base}?limit=50&cursor=${encodeURIComponent(nextOlder)}`);
      setOlder((o) => [...o, ...page.messages.items]);
      setOlderCursor(page.messages.nextCursor);
    } catch (error) {
      setNotice(describeError(error));
    }
  };

  return (
    <div className="conversation-layout">
      <div className="thread">
        <p>
          <Link to={`/w/${ctx.workspaceId}/inbox`}>← Inbox</Link>
        </p>
        <h1>{contactName(c.contact)}</h1>
        <p className="muted">
          {c.contact.username ? `@${c.contact.username} · ` : ''}Owner: <span data-testid="owner">{OWNER_LABEL[c.owner]}</span> · {windowText(c.window)} · {ENTRY_LABEL[c.entryPoint] ?? c.entryPoint}
        </p>
        {canManage ? (
          <p className="actions">
            {c.owner === 'human' ? (
              <button type="button" onClick={() => move('handback')} disabled={action.busy}>
                Hand back to assistant
              </button>
            ) : (
              <button type="button" onClick={() => move('takeover')} disabled={action.busy}>
                Take over
              </button>
            )}
          </p>
        ) : null}
        {action.error ? <Alert>{action.error}</Alert> : null}
        {notice ? <Alert kind="info">{notice}</Alert> : null}
        {nextOlder ? (
          <button type="button" onClick={() => void loadOlder()}>
            Show older messages
          </button>
        ) : null}
        <ol className="messages" aria-label="Messages">
          {messages.map((m) => (
            <MessageItem key={m.id} m={m} audit={m.authorKind === 'assistant' ? auditByReply.get(m.id) : undefined} />
          ))}
        </ol>
        {canSend ? (
          <section className="action" aria-labelledby="reply-title">
            <h2 id="reply-title">Reply</h2>
            {policy.data ? (
              <p className={policy.data.allowed ? 'reply-policy' : 'reply-policy alert alert-error'} role="status" data-testid="reply-policy">
                {policy.data.summary}
                {policy.data.allowed && policy.data.takesOver ? ' Sending takes this conversation over from the assistant.' : ''}
              </p>
            ) : policy.error ? <Alert>{policy.error}</Alert> : null}
            <form onSubmit={onSend}>
              {submit.error ? <Alert>{submit.error}</Alert> : null}
              <Field label="Your reply" name="text" value={text} onChange={setText} multiline required error={submit.fieldErrors.text} />
              <button type="submit" className="primary" disabled={submit.busy || text.trim() === '' || policy.data?.allowed === false}>
                {submit.busy ? 'Sending…' : 'Send reply'}
              </button>
            </form>
          </section>
        ) : null}
      </div>
      <ContactPanel ctx={ctx} contactId={c.contact.id} onErased={() => { setContactId(c.contact.id); setErased(true); }} />
    </div>
  );
}
