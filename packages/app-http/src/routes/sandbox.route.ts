import type { Container } from 'inversify';
import { z } from 'zod';
import type { InstagramAccount, Repositories, WorkspaceId } from '@palette/domain';
import { HttpProblem } from '../http/problem.js';
import { defineRoute } from '../http/route.js';
import { TOKENS } from '../tokens.js';
import type { SandboxCustomer, SandboxMessage, SandboxPort, SandboxSend } from './sandbox-port.js';

const workspaceParams = z.object({ workspaceId: z.uuid() });
const RECENT_SENDS = 50;

const Customer = z.object({
  igsid: z.string(),
  username: z.string(),
  name: z.string().nullable(),
  createdAt: z.iso.datetime(),
  /** The shop's conversation with this customer, once their first message arrived. */
  conversationId: z.uuid().nullable(),
  messages: z.array(z.object({ mid: z.string(), from: z.enum(['customer', 'shop']), text: z.string().nullable(), at: z.iso.datetime() })),
}).meta({ id: 'SandboxCustomer', description: 'A simulated Instagram customer, with the thread as Instagram holds it (customer messages and the shop\'s replies).' });

const Send = z.object({
  id: z.number().int(),
  igsid: z.string(),
  username: z.string(),
  kind: z.enum(['dm', 'story_reply', 'comment', 'reaction']),
  text: z.string(),
  mid: z.string().nullable(),
  commentId: z.string().nullable(),
  delivered: z.boolean(),
  skipped: z.string().nullable(),
  at: z.iso.datetime(),
}).meta({ id: 'SandboxSend', description: 'Something a simulated customer did, and whether the shop\'s webhook took it.' });

const Text = z.string().trim().min(1).max(1000);
const NumericId = z.string().regex(/^\d{1,30}$/);
const SendBody = z.discriminatedUnion('kind', [
  z.object({ igsid: NumericId, kind: z.literal('dm'), text: Text }).strict(),
  z.object({ igsid: NumericId, kind: z.literal('story_reply'), text: Text, storyId: NumericId.optional() }).strict(),
  z.object({ igsid: NumericId, kind: z.literal('comment'), text: Text, mediaId: NumericId.optional() }).strict(),
  z.object({ igsid: NumericId, kind: z.literal('reaction'), mid: z.string().min(1).max(500), emoji: z.string().min(1).max(16).optional() }).strict(),
]);

const notActive = () => new HttpProblem('not-found', { detail: 'The Instagram sandbox is not running on this server: it runs only with `npm start` and no INSTAGRAM_GRAPH_URL.', code: 'sandbox.not_active' });

/**
 * The sandbox: a signed-in member plays Instagram customers of their own shop (DMs, story replies,
 * comments, reactions) against the in-process Graph API simulator, and watches the shop answer.
 * Every route is a 404 problem unless `npm start` runs the simulator (TOKENS.Sandbox bound), and
 * each acts only on this workspace's account as connected to the simulator.
 */
export const sandboxRoutes = (c: Container) => {
  const port = (): SandboxPort => {
    if (!c.isBound(TOKENS.Sandbox)) throw notActive();
    return c.get(TOKENS.Sandbox);
  };
  const accountOf = async (repos: Repositories, sandbox: SandboxPort, workspaceId: WorkspaceId): Promise<InstagramAccount | null> =>
    (await repos.accounts.listByWorkspace(workspaceId)).find((a) => a.status === 'connected' && sandbox.hasAccount(a.igUserId)) ?? null;
  const requireAccount = async (repos: Repositories, sandbox: SandboxPort, workspaceId: WorkspaceId): Promise<InstagramAccount> => {
    const account = await accountOf(repos, sandbox, workspaceId);
    if (!account) throw HttpProblem.conflict('Connect the sandbox simulator account first (Home → Connect Instagram).', 'sandbox.not_connected');
    return account;
  };
  const conversationOf = async (repos: Repositories, account: InstagramAccount, igsid: string): Promise<string | null> => {
    const contact = await repos.contacts.findByIgsid(account.id, igsid);
    if (!contact) return null;
    return (await repos.conversations.findByContact(account.id, contact.id))?.id ?? null;
  };
  const customerView = async (repos: Repositories, sandbox: SandboxPort, account: InstagramAccount, cu: SandboxCustomer): Promise<z.input<typeof Customer>> => ({
    igsid: cu.igsid, username: cu.username, name: cu.name, createdAt: cu.createdAt.toISOString(),
    conversationId: await conversationOf(repos, account, cu.igsid),
    messages: sandbox.thread(account.igUserId, cu.igsid).map((m: SandboxMessage) => ({ mid: m.mid, from: m.from, text: m.text, at: m.at.toISOString() })),
  });
  const sendView = (s: SandboxSend): z.input<typeof Send> => ({ ...s, at: s.at.toISOString() });

  return [
    defineRoute({
      method: 'get', path: '/api/workspaces/:workspaceId/sandbox', summary: 'The Instagram sandbox: simulated customers and what they sent', tags: ['sandbox'],
      description: 'Answers 404 (`sandbox.not_active`) unless the server runs the local Instagram simulator (`npm start` without INSTAGRAM_GRAPH_URL). '
        + '`account` is null until the workspace connects the simulator account.',
      auth: 'session', permission: 'messages.read_content', params: workspaceParams,
      responses: {
        200: {
          description: 'The sandbox for this workspace',
          body: z.object({
            account: z.object({ id: z.uuid(), igUserId: z.string(), username: z.string() }).nullable(),
            customers: z.array(Customer),
            sends: z.array(Send),
          }),
        },
      },
    }, async ({ principal }) => {
      const sandbox = port();
      const repos = c.get(TOKENS.Repositories);
      const account = await accountOf(repos, sandbox, principal.workspaceId);
      if (!account) return { status: 200, body: { account: null, customers: [], sends: [] } };
      const customers = await Promise.all(sandbox.customers(account.igUserId).map((cu) => customerView(repos, sandbox, account, cu)));
      return {
        status: 200,
        body: { account: { id: account.id, igUserId: account.igUserId, username: account.username }, customers, sends: sandbox.sends(account.igUserId, RECENT_SENDS).map(sendView) },
      };
    }),

    defineRoute({
      method: 'post', path: '/api/workspaces/:workspaceId/sandbox/customers', summary: 'Create a simulated Instagram customer', tags: ['sandbox'],
      description: 'A new person with their own Instagram-scoped id, who can then write to the shop from the sandbox.',
      auth: 'session', permission: 'instagram.manage', params: workspaceParams,
      body: z.object({
        username: z.string().trim().regex(/^@?[A-Za-z0-9._]{1,30}$/, 'An Instagram handle: letters, digits, dots and underscores, at most 30').transform((u) => u.replace(/^@/, '')),
        name: z.string().trim().min(1).max(100).optional(),
      }).strict(),
      responses: { 201: { description: 'The new customer', body: Customer } },
      problems: ['conflict'],
    }, async ({ principal, body }) => {
      const sandbox = port();
      const repos = c.get(TOKENS.Repositories);
      const account = await requireAccount(repos, sandbox, principal.workspaceId);
      const customer = sandbox.addCustomer(account.igUserId, { username: body.username, name: body.name ?? null });
      return { status: 201, body: await customerView(repos, sandbox, account, customer) };
    }),

    defineRoute({
      method: 'post', path: '/api/workspaces/:workspaceId/sandbox/sends', summary: 'Act as a simulated customer', tags: ['sandbox'],
      description: 'The customer sends a DM, replies to a story, comments on a post or reacts to a message (`mid`, from the customer\'s thread). '
        + 'The simulator delivers it to this server\'s webhook exactly as Instagram would; the answer says whether the webhook took it.',
      auth: 'session', permission: 'instagram.manage', params: workspaceParams,
      body: SendBody,
      responses: { 201: { description: 'What was sent', body: Send } },
      problems: ['conflict'],
    }, async ({ principal, body, log }) => {
      const sandbox = port();
      const repos = c.get(TOKENS.Repositories);
      const account = await requireAccount(repos, sandbox, principal.workspaceId);
      if (!sandbox.customers(account.igUserId).some((cu) => cu.igsid === body.igsid)) throw HttpProblem.notFound('No such simulated customer in this workspace\'s sandbox.');
      if (body.kind === 'reaction' && !sandbox.thread(account.igUserId, body.igsid).some((m) => m.mid === body.mid)) {
        throw HttpProblem.notFound('No such message in this customer\'s thread.');
      }
      const { igsid, ...action } = body;
      const send = await sandbox.send(account.igUserId, igsid, action);
      // Kinds only: the text is the (simulated) customer's.
      log.info({ kind: send.kind, delivered: send.delivered, skipped: send.skipped }, 'sandbox customer action');
      return { status: 201, body: sendView(send) };
    }),
  ];
};
