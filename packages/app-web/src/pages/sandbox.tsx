import { useEffect, useState, type FormEvent } from 'react';
import { api, ws } from '../api.js';
import { Link } from '../router.js';
import { Alert, DataTable, Field, Loading, useLoad, useSubmit } from '../ui.js';
import type { WorkspaceContext } from './shell.js';

const SANDBOX = '/api/workspaces/:workspaceId/sandbox';
/** The shop answers through the worker and Instagram's echo: poll while the page is open. */
const REFRESH_MS = 1500;

interface ThreadMessage {
  mid: string;
  from: 'customer' | 'shop';
  text: string | null;
  at: string;
}
interface Customer {
  igsid: string;
  username: string;
  name: string | null;
  createdAt: string;
  conversationId: string | null;
  messages: ThreadMessage[];
}
interface Send {
  id: number;
  igsid: string;
  username: string;
  kind: 'dm' | 'story_reply' | 'comment' | 'reaction';
  text: string;
  delivered: boolean;
  skipped: string | null;
  at: string;
}
interface SandboxState {
  account: { id: string; igUserId: string; username: string } | null;
  customers: Customer[];
  sends: Send[];
}

const KIND_LABEL: Record<Send['kind'], string> = { dm: 'Direct message', story_reply: 'Story reply', comment: 'Comment', reaction: 'Reaction' };

/** Whether this server runs the Instagram sandbox (the API answers 404 when it does not). */
export function useSandboxActive(ctx: WorkspaceContext): boolean {
  const offered = ctx.catalog.has('get', SANDBOX) && ctx.can('messages.read_content');
  const [active, setActive] = useState(false);
  useEffect(() => {
    if (!offered) return;
    const controller = new AbortController();
    api('get', ws(ctx.workspaceId, '/sandbox'), { signal: controller.signal }).then(
      () => setActive(true),
      () => setActive(false),
    );
    return () => controller.abort();
  }, [offered, ctx.workspaceId]);
  return offered && active;
}

function ActForm({ label, button, onSend, busy }: { label: string; button: string; onSend: (text: string) => Promise<void>; busy: boolean }) {
  const [text, setText] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void onSend(text).then(() => setText(''), () => undefined);
  };
  return (
    <form className="inline-form" onSubmit={submit}>
      <Field label={label} name={button} value={text} onChange={setText} required />
      <button type="submit" className="primary" disabled={busy || text.trim() === ''}>
        {button}
      </button>
    </form>
  );
}

function Thread({ customer, canAct, onReact, busy }: { customer: Customer; canAct: boolean; onReact: (mid: string) => void; busy: boolean }) {
  if (customer.messages.length === 0) return <p className="empty">No messages with @{customer.username} yet.</p>;
  return (
    <ol className="messages" aria-label={`Instagram thread with @${customer.username}`}>
      {customer.messages.map((m) => (
        <li key={m.mid} className={`message message-${m.from === 'customer' ? 'inbound' : 'outbound'}`} aria-label={m.from === 'customer' ? `@${customer.username} message` : 'Shop message'}>
          <div className="muted">
            <strong>{m.from === 'customer' ? `@${customer.username}` : 'Shop'}</strong> · <time dateTime={m.at}>{new Date(m.at).toLocaleTimeString()}</time>
          </div>
          <p className="message-text">{m.text ?? '[no text]'}</p>
          {m.from === 'shop' && canAct ? (
            <button type="button" className="link-button" disabled={busy} onClick={() => onReact(m.mid)}>
              React ❤️ <span className="sr-only">to the shop message “{m.text}”</span>
            </button>
          ) : null}
        </li>
      ))}
    </ol>
  );
}

/**
 * The Instagram sandbox: the merchant plays their own customers (DMs, story replies, comments,
 * reactions) against the local simulator and watches the shop, assistant included, answer.
 */
export function SandboxPage({ ctx }: { ctx: WorkspaceContext }) {
  const offered = ctx.catalog.has('get', SANDBOX) && ctx.can('messages.read_content');
  const state = useLoad((signal) => (offered ? api<SandboxState>('get', ws(ctx.workspaceId, '/sandbox'), { signal }) : Promise.resolve(null)), [ctx.workspaceId, offered]);
  const [chosen, setChosen] = useState('');
  const [handle, setHandle] = useState('');
  const [name, setName] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  const create = useSubmit();
  const act = useSubmit();
  const canAct = ctx.can('instagram.manage');
  const { reload } = state;
  useEffect(() => {
    if (!offered) return;
    const t = setInterval(() => {
      if (document.visibilityState === 'visible') reload();
    }, REFRESH_MS);
    return () => clearInterval(t);
  }, [offered, reload]);

  const notRunning = state.error !== null && state.data === undefined;
  if (!offered || notRunning) {
    return (
      <>
        <h1>Sandbox</h1>
        <Alert kind="info">The Instagram sandbox is not running on this server. It runs with <code>npm start</code> when no INSTAGRAM_GRAPH_URL is set.</Alert>
      </>
    );
  }
  if (!state.data) return <Loading />;
  const data = state.data;
  if (!data.account) {
    return (
      <>
        <h1>Sandbox</h1>
        <p className="lead">Play your own Instagram customers and watch your shop answer, without touching Instagram.</p>
        <Alert kind="info">
          Connect the sandbox simulator account first: <Link to={`/w/${ctx.workspaceId}`}>Home → Connect Instagram</Link>.
        </Alert>
      </>
    );
  }
  const customer = data.customers.find((c) => c.igsid === chosen) ?? data.customers.at(-1);

  const onCreate = (e: FormEvent) => {
    e.preventDefault();
    void create.run(async () => {
      const created = await api<Customer>('post', ws(ctx.workspaceId, '/sandbox/customers'), { body: { username: handle.trim(), ...(name.trim() ? { name: name.trim() } : {}) } });
      setChosen(created.igsid);
      setHandle('');
      setName('');
      setNotice(`@${created.username} is ready to write to your shop.`);
      reload();
    });
  };
  /** Resolves once sent; rejects when refused (the Alert says why), so the form keeps the typed text. */
  const send = async (body: Record<string, unknown>, done: string): Promise<void> => {
    let sent = false;
    await act.run(async () => {
      if (!customer) return;
      const result = await api<Send>('post', ws(ctx.workspaceId, '/sandbox/sends'), { body: { igsid: customer.igsid, ...body } });
      setNotice(result.delivered ? done : `Instagram did not deliver it to your shop${result.skipped ? `: ${result.skipped}` : ''}.`);
      sent = true;
      reload();
    });
    if (!sent) throw new Error('not sent');
  };

  return (
    <>
      <h1>Sandbox</h1>
      <p className="lead">
        Play your own Instagram customers of @{data.account.username} and watch your shop answer. Everything stays on this server: the sandbox simulator stands in for Instagram.
      </p>
      {notice ? <Alert kind="success">{notice}</Alert> : null}
      {state.error ? <Alert>{state.error}</Alert> : null}
      {canAct ? (
        <section className="action" aria-labelledby="new-customer">
          <h2 id="new-customer">New customer</h2>
          <form className="inline-form" onSubmit={onCreate}>
            {create.error ? <Alert>{create.error}</Alert> : null}
            <Field label="Instagram handle" name="username" value={handle} onChange={setHandle} required error={create.fieldErrors.username} hint="Letters, digits, dots and underscores" />
            <Field label="Display name" name="name" value={name} onChange={setName} error={create.fieldErrors.name} />
            <button type="submit" disabled={create.busy || handle.trim() === ''}>
              Create customer
            </button>
          </form>
        </section>
      ) : (
        <Alert kind="info">An owner or admin plays the customers; you can watch the threads here.</Alert>
      )}
      {data.customers.length === 0 ? <p className="empty">No simulated customers yet: create one to start.</p> : null}
      {customer ? (
        <section aria-labelledby="acting-as">
          <h2 id="acting-as">
            Acting as @{customer.username}
            {customer.name ? ` (${customer.name})` : ''}
          </h2>
          {data.customers.length > 1 ? (
            <div className="field">
              <label htmlFor="sandbox-customer">Customer</label>
              <select id="sandbox-customer" value={customer.igsid} onChange={(e) => setChosen(e.target.value)}>
                {data.customers.map((c) => (
                  <option key={c.igsid} value={c.igsid}>
                    @{c.username}
                    {c.name ? ` (${c.name})` : ''}
                  </option>
                ))}
              </select>
            </div>
          ) : null}
          {customer.conversationId ? (
            <p>
              <Link to={`/w/${ctx.workspaceId}/conversations/${customer.conversationId}`}>Open the conversation with @{customer.username} in the inbox</Link>
            </p>
          ) : null}
          {act.error ? <Alert>{act.error}</Alert> : null}
          {canAct ? (
            <div className="sandbox-actions">
              <ActForm label="Direct message" button="Send DM" busy={act.busy} onSend={(text) => send({ kind: 'dm', text }, 'Sent: your shop received the DM.')} />
              <ActForm label="Reply to your story" button="Send story reply" busy={act.busy} onSend={(text) => send({ kind: 'story_reply', text }, 'Sent: your shop received the story reply.')} />
              <ActForm label="Comment on your post" button="Post comment" busy={act.busy} onSend={(text) => send({ kind: 'comment', text }, 'Posted: your shop received the comment.')} />
            </div>
          ) : null}
          <h3>Thread on Instagram</h3>
          <Thread customer={customer} canAct={canAct} busy={act.busy} onReact={(mid) => void send({ kind: 'reaction', mid }, 'Reacted: your shop received the reaction.').catch(() => undefined)} />
        </section>
      ) : null}
      <section aria-labelledby="recent-sends">
        <h2 id="recent-sends">Recent customer activity</h2>
        {data.sends.length === 0 ? (
          <p className="empty">Nothing sent yet.</p>
        ) : (
          <DataTable
            caption="Recent customer activity"
            rows={data.sends.map((s) => ({ id: s.id, at: s.at, customer: `@${s.username}`, kind: KIND_LABEL[s.kind], text: s.text, delivered: s.delivered ? 'yes' : `no${s.skipped ? ` (${s.skipped})` : ''}` }))}
            columns={['at', 'customer', 'kind', 'text', 'delivered']}
          />
        )}
      </section>
    </>
  );
}
