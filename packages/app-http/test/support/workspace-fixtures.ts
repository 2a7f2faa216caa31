import type { Container } from 'inversify';
import { fakeSandbox } from './sandbox-fake.js';
import { InMemoryFailedJobs, jobsModule } from '../../src/jobs/failed-jobs.js';
import { ContainerModule } from 'inversify';
import type { Mailer, Repositories, Role, UserId, WorkspaceId } from '@palette/domain';
import { Ids, Invitation, ROLES } from '@palette/domain';
import { createInMemoryRepositories, FakeClock, InMemoryRequestLog } from '@palette/domain/in-memory';
import { make } from '@palette/domain/testing';
import type { DatabaseOrm } from '@palette/adapters/persistence';
import { authModule } from '../../src/auth/auth-module.js';
import { buildContainer } from '../../src/composition-root.js';
import { loadConfig } from '../../src/config.js';
import { createApp, type PaletteApp } from '../../src/http/app.js';
import type { Authenticator } from '../../src/http/auth.js';
import { cryptoModule, mikroOrmModule, TEST_SCRYPT, useCasesModule } from '../../src/modules.js';
import { featureRoutes } from '../../src/routes/feature-routes.js';
import { assistantRecordsOf } from '../../src/routes/assistant.route.js';
import { TOKENS } from '../../src/tokens.js';
import { captureLogs, type CapturedLogs } from './harness.js';

/** The header the fake authenticator reads: the user id to act as. */
export const TEST_USER_HEADER = 'X-Test-User';

export class RecordingMailer implements Mailer {
  readonly sent: Array<Parameters<Mailer['send']>[0]> = [];
  async send(mail: Parameters<Mailer['send']>[0]): Promise<void> { this.sent.push(mail); }
  /** The token of the last invitation link sent to `to`. */
  tokenFor(to: string): string {
    const mail = [...this.sent].reverse().find((m) => m.to === to);
    const token = /#token=([^\s]+)/.exec(mail?.text ?? '')?.[1];
    if (token === undefined) throw new Error(`no invitation mail to ${to}`);
    return decodeURIComponent(token);
  }
}

export interface WorkspaceApp {
  readonly app: PaletteApp;
  readonly container: Container;
  readonly clock: FakeClock;
  readonly mailer: RecordingMailer;
  readonly logs: CapturedLogs;
  readonly failedJobs: InMemoryFailedJobs;
  /** In memory only: start over with empty repositories (the matrix gives every case a fresh world). */
  reset(): Repositories;
  repos(): Repositories;
}

/**
 * The real feature routes and composition (use cases, auth module with a recording mailer) with
 * a fake authenticator: `X-Test-User: <userId>` signs in as that user, and the role is the user's
 * real membership, so the 404-for-non-members rule runs on real data. Sessions are the auth
 * feature's business; these tests are about what a member may do.
 */
export function buildWorkspaceApp(options: { orm?: DatabaseOrm } = {}): WorkspaceApp {
  const loaded = loadConfig({ PUBLIC_URL: 'http://localhost:3000' });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
  const config = loaded.value;
  const logs = captureLogs();
  const clock = new FakeClock('2026-03-01T10:00:00Z');
  const mailer = new RecordingMailer();
  const failedJobs = new InMemoryFailedJobs();
  let current: Repositories = createInMemoryRepositories();
  const persistence = options.orm
    ? mikroOrmModule(options.orm)
    : new ContainerModule(({ bind }) => {
      bind(TOKENS.Repositories).toResolvedValue(() => current);
      bind(TOKENS.RequestLog).toConstantValue(new InMemoryRequestLog());
    });
  const container = buildContainer({
    config, logger: logs.logger,
    modules: [cryptoModule({ scrypt: TEST_SCRYPT }), persistence, useCasesModule(), authModule(config, logs.logger, { mailer }), jobsModule(failedJobs)],
  });
  container.rebind(TOKENS.Clock).toConstantValue(clock);
  // The sandbox routes answer 404 without a simulator; route walks need them to reach their handlers.
  container.bind(TOKENS.Sandbox).toConstantValue(fakeSandbox(() => clock.now()));
  const authenticator: Authenticator = {
    authenticate: async (req) => {
      const id = req.get(TEST_USER_HEADER);
      return id === undefined ? null : { userId: Ids.user(id), sessionId: `test-session-${id}` };
    },
    roleIn: async (user, workspaceId) => (await container.get(TOKENS.Repositories).memberships.find(workspaceId, user.userId))?.role ?? null,
  };
  const app = createApp({ config, logger: logs.logger, routes: featureRoutes(container), authenticator, rateLimit: false, defaultMetrics: false });
  return {
    app, container, clock, mailer, logs, failedJobs,
    reset: () => (current = createInMemoryRepositories()),
    repos: () => container.get(TOKENS.Repositories),
  };
}

export interface Person { readonly userId: UserId; readonly memberId: string; readonly email: string }

/** One tenant's world: a member per role, one more agent to act on, a pending invitation, a DM thread. */
export interface Tenant {
  readonly label: string;
  readonly workspaceId: WorkspaceId;
  readonly workspaceName: string;
  readonly members: Readonly<Record<Role, Person>>;
  /** A non-owner member that member routes act on (any role with team.manage may change it). */
  readonly target: Person;
  readonly invitationId: string;
  readonly invitationEmail: string;
  /** A dead-lettered job of this workspace (jobs routes). */
  readonly jobId: string;
  /** Text of a customer's DM: an analyst must never receive it (reliability check 23). */
  readonly messageText: string;
  /** Catalog and orders: a product with one variant (10 in stock) and a draft order for 1 of it. */
  readonly productId: string;
  readonly variantId: string;
  readonly orderId: string;
}

/**
 * Seeds a tenant through the repositories. `n` keeps ids and emails distinct between tenants;
 * every identifying string carries the label, so a response can be searched for another tenant's data.
 */
export async function seedTenant(repos: Repositories, label: string, n: number, now: Date): Promise<Tenant> {
  const id = (k: number) => `0000000${n}-0000-7000-8000-${k.toString(16).padStart(12, '0')}`;
  const workspaceId = Ids.workspace(id(1));
  const workspaceName = `Shop ${label}`;
  const person = (k: number, role: string): Person => ({ userId: Ids.user(id(0x100 + k)), memberId: id(0x200 + k), email: `${role}@tenant-${label.toLowerCase()}.example` });
  const members = Object.fromEntries(ROLES.map((role, i) => [role, person(i, role)])) as Record<Role, Person>;
  const target = person(9, 'target');
  const invitationId = id(0x300);
  const invitationEmail = `invited@tenant-${label.toLowerCase()}.example`;
  const messageText = `FIXTURE-DM-${label}: my address is 12 Secret Lane; size M please`;

  await repos.uow.run(async () => {
    await repos.workspaces.save(make.workspace(workspaceId, now, { name: workspaceName }));
    for (const [role, p] of [...ROLES.map((r) => [r, members[r]] as const), ['agent', target] as const]) {
      await repos.users.save(make.user(p.userId, p.email, now));
      await repos.memberships.save(make.membership(p.memberId, workspaceId, p.userId, role, now));
    }
    await repos.invitations.save(Invitation.issue({ id: invitationId, workspaceId, email: invitationEmail, role: 'agent', tokenHash: `fixture-hash-${label}`, invitedBy: members.owner.userId, now }));
    const account = make.account(id(0x400), workspaceId, `17841400000000${n}`, now, id(0x401));
    const contact = make.contact(id(0x402), workspaceId, account.id, `74321000000${n}`, now);
    const conversation = make.conversation(id(0x403), workspaceId, account.id, contact.id, now);
    await repos.accounts.save(account);
    await repos.contacts.save(contact);
    await repos.conversations.save(conversation);
    await repos.messages.save(make.inbound(id(0x404), workspaceId, account.id, conversation.id, contact.id, `mid-${label}`, messageText, now));
    await repos.audit.append({ id: Ids.auditEntry(id(0x500)), workspaceId, actor: { kind: 'user', id: members.owner.userId }, action: 'fixture.seeded', target: { type: 'workspace', id: workspaceId }, at: now, requestId: `req-${label}`, details: {} });
    const product = make.product(id(0x700), workspaceId, `WALK-${label}`, now);
    const variant = make.variant(id(0x701), workspaceId, product.id, `WALK-${label}-1`, 1500, now);
    const level = make.level(variant.id, workspaceId, now);
    const counted = level.setOnHand(10, 'fixture', { kind: 'system' }, now);
    if (!counted.ok) throw new Error('fixture stock');
    await repos.products.save(product);
    await repos.variants.save(variant);
    await repos.stock.save(level);
    await repos.stock.appendMovements([{ ...counted.value, id: Ids.stockMovement(id(0x703)), workspaceId, variantId: variant.id }]);
    await repos.orders.save(make.order(id(0x702), workspaceId, [{ variantId: variant.id, sku: variant.sku, priceMinor: 1500, quantity: 1 }], now));
    // An automation rule for the automations routes (id 0x7a0).
    await assistantRecordsOf(repos).saveRule({
      id: id(0x7a0), workspaceId, name: `Shipping ${label}`, enabled: true, trigger: 'dm_keyword', matcher: { keywords: ['shipping'], mode: 'contains', combine: 'any' },
      postId: null, action: { kind: 'reply', text: 'We ship in 2 days.' }, priority: 1, createdAt: now, updatedAt: now,
    });
  });
  return { label, workspaceId, workspaceName, members, target, invitationId, invitationEmail, messageText, jobId: id(0x600), productId: id(0x700), variantId: id(0x701), orderId: id(0x702) };
}

/** Gives each tenant one dead letter, so the jobs routes have something to find (or not find). */
export function seedFailedJob(w: WorkspaceApp, t: Tenant, now: Date): void {
  w.failedJobs.add(t.workspaceId, { id: t.jobId, queue: 'outbound.send', reason: 'fixture failure', permanent: false, attempts: 5, createdAt: now, failedAt: now });
}
