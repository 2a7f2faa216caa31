import type { Clock, IdGenerator, UnitOfWork } from '../shared/ports.js';
import { Ids, type InstagramAccountId, type MessageId, type WorkspaceId } from '../shared/ids.js';
import { err, ok, type Result } from '../shared/result.js';
import { notFound, type NotFound } from '../shared/errors.js';
import type { JobQueue } from '../shared/jobs.js';
import type { ContactRepository } from '../contacts/ports.js';
import type { ConversationRepository, MessageRepository } from '../conversations/ports.js';
import type { OutboundMessageQueries } from '../conversations/outbound-ports.js';
import { gateOutbound } from '../conversations/send-gate.js';
import { outboundSendJob } from '../conversations/queue-outbound-message.js';
import type { OutboundAuthor } from '../conversations/messaging-policy.js';
import { InstagramAccount, type InstagramAccountError, type InstagramAccountType } from './instagram-account.js';
import type { InstagramAccountRepository, InstagramTokenRefresher, SecretRepository, TokenCipher } from './ports.js';
import { readAccountToken, storeAccountToken } from './account-token.js';
import { TOKEN_EXPIRED_REASON } from '../conversations/send-message.js';

export type ConnectAccountError =
  | InstagramAccountError
  /** The Instagram account is attached to another workspace: one account, one merchant. */
  | { readonly kind: 'AccountLinkedElsewhere' };

/** `/me.account_type` comes back as `Business`, `MEDIA_CREATOR` or `Media_Creator`. */
export function normalizeAccountType(value: string | null): InstagramAccountType {
  return value !== null && /creator/i.test(value) ? 'Media_Creator' : 'Business';
}

/**
 * Stores a freshly authorised account. A known Instagram account is reconnected in place, so its
 * contacts, conversations and messages stay attached; its old token is destroyed.
 */
export class ConnectInstagramAccount {
  constructor(private readonly deps: { accounts: InstagramAccountRepository; secrets: SecretRepository; cipher: TokenCipher; uow: UnitOfWork; clock: Clock; ids: IdGenerator }) {}

  execute(cmd: {
    workspaceId: WorkspaceId; igUserId: string; username: string; accountType: string | null; grantedScopes: readonly string[]; accessToken: string; tokenExpiresAt: Date;
  }): Promise<Result<{ account: InstagramAccount; reconnected: boolean }, ConnectAccountError>> {
    const { accounts, secrets, uow, clock, ids } = this.deps;
    return uow.run(async () => {
      const now = clock.now();
      const existing = await accounts.findByIgUserId(cmd.igUserId);
      if (existing && existing.workspaceId !== cmd.workspaceId) return err({ kind: 'AccountLinkedElsewhere' } as const);
      const accountId = existing?.id ?? Ids.instagramAccount(ids.next());
      const accountType = normalizeAccountType(cmd.accountType);
      const tokenRef = await storeAccountToken(this.deps, { workspaceId: cmd.workspaceId, accountId, token: cmd.accessToken, now });
      if (existing) {
        const previous = existing.tokenRef;
        const r = existing.reconnect({ username: cmd.username, accountType, grantedScopes: cmd.grantedScopes, tokenRef, tokenExpiresAt: cmd.tokenExpiresAt, now });
        if (!r.ok) return r;
        if (previous && previous !== tokenRef) await secrets.destroy(cmd.workspaceId, previous);
        await accounts.save(existing);
        return ok({ account: existing, reconnected: true });
      }
      const created = InstagramAccount.connect({
        id: accountId, workspaceId: cmd.workspaceId, igUserId: cmd.igUserId, username: cmd.username, accountType, grantedScopes: cmd.grantedScopes, tokenRef,
        tokenExpiresAt: cmd.tokenExpiresAt, now,
      });
      if (!created.ok) return created;
      await accounts.save(created.value);
      return ok({ account: created.value, reconnected: false });
    });
  }
}

/** The merchant disconnects: token destroyed at once, account kept (marked) until the privacy job deletes its data. */
export class DisconnectInstagramAccount {
  constructor(private readonly deps: { accounts: InstagramAccountRepository; secrets: SecretRepository; uow: UnitOfWork; clock: Clock }) {}

  execute(cmd: { workspaceId: WorkspaceId; accountId: InstagramAccountId }): Promise<Result<InstagramAccount, NotFound>> {
    const { accounts, secrets, uow, clock } = this.deps;
    return uow.run(async () => {
      const account = await accounts.get(cmd.workspaceId, cmd.accountId);
      if (!account) return err(notFound('instagram_account', cmd.accountId));
      const token = account.disconnect(clock.now());
      if (token) await secrets.destroy(cmd.workspaceId, token);
      await accounts.save(account);
      return ok(account);
    });
  }
}

/** Accounts the daily refresh looks at; the account's own rules decide what is due. */
export interface InstagramAccountQueries {
  /** Connected accounts whose token expires before `before` (expired ones included), oldest expiry first. */
  listTokensExpiringBefore(before: Date, limit: number): Promise<Array<{ workspaceId: WorkspaceId; accountId: InstagramAccountId }>>;
  listConnected(limit: number): Promise<Array<{ workspaceId: WorkspaceId; accountId: InstagramAccountId; igUserId: string }>>;
}

export interface RefreshReport {
  readonly refreshed: number;
  readonly expired: number;
  readonly failed: number;
}

/**
 * The daily job: refresh long-lived tokens at least 24 h old that expire within `withinDays`. A
 * token Instagram refuses (190, or any refusal) puts the account in `token_expired` with a reason the
 * dashboard shows; sends are then held by the gate, not dropped. A network failure is left for the
 * next run unless the token is already past its expiry.
 */
export class RefreshInstagramTokens {
  constructor(
    private readonly deps: {
      accounts: InstagramAccountRepository; secrets: SecretRepository; cipher: TokenCipher; refresher: InstagramTokenRefresher; queries: InstagramAccountQueries;
      uow: UnitOfWork; clock: Clock; ids: IdGenerator;
    },
  ) {}

  async execute(input: { withinDays?: number; limit?: number } = {}): Promise<RefreshReport> {
    const { accounts, secrets, refresher, queries, uow, clock } = this.deps;
    const withinDays = input.withinDays ?? 10;
    const now = clock.now();
    const due = await queries.listTokensExpiringBefore(new Date(now.getTime() + withinDays * 24 * 3600_000), input.limit ?? 500);
    let refreshed = 0;
    let expired = 0;
    let failed = 0;
    for (const ref of due) {
      const outcome = await uow.run(async (): Promise<'refreshed' | 'expired' | 'failed' | 'skipped'> => {
        const account = await accounts.get(ref.workspaceId, ref.accountId);
        if (!account || account.status !== 'connected') return 'skipped';
        const at = clock.now();
        const pastExpiry = account.tokenExpiresAt !== null && account.tokenExpiresAt.getTime() <= at.getTime();
        const markExpired = async (reason: string) => {
          account.markTokenExpired(reason, at);
          await accounts.save(account);
          return 'expired' as const;
        };
        if (pastExpiry) return markExpired('The Instagram token expired before it could be refreshed: reconnect the account');
        if (!account.needsRefresh(at, withinDays)) return 'skipped';
        const token = await readAccountToken(this.deps, account);
        if (token === null) return markExpired(TOKEN_EXPIRED_REASON);
        const result = await refresher.refresh(token);
        if (!result.ok) {
          if (result.error.kind === 'Transient' || result.error.kind === 'RateLimited') return 'failed';
          return markExpired(result.error.kind === 'TokenInvalid' ? TOKEN_EXPIRED_REASON : `Instagram refused to refresh the token: reconnect the account`);
        }
        const previous = account.tokenRef;
        const tokenRef = await storeAccountToken(this.deps, { workspaceId: account.workspaceId, accountId: account.id, token: result.value.accessToken, now: at });
        account.tokenRefreshed(tokenRef, result.value.expiresAt, at);
        if (previous) await secrets.destroy(account.workspaceId, previous);
        await accounts.save(account);
        return 'refreshed';
      });
      if (outcome === 'refreshed') refreshed++;
      else if (outcome === 'expired') expired++;
      else if (outcome === 'failed') failed++;
    }
    return { refreshed, expired, failed };
  }
}

/**
 * After a reconnection (or a pause ending), held messages get another chance: each passes the gate
 * again; what may go out now is set back to `pending` and enqueued, the rest stays held with its
 * reason (a notification whose window closed waits for the customer's next message).
 */
export class ReleaseHeldMessages {
  constructor(
    private readonly deps: {
      accounts: InstagramAccountRepository; contacts: ContactRepository; conversations: ConversationRepository; messages: MessageRepository;
      queries: OutboundMessageQueries; jobs: JobQueue; uow: UnitOfWork; clock: Clock;
    },
  ) {}

  async execute(cmd: { workspaceId: WorkspaceId; accountId: InstagramAccountId; limit?: number }): Promise<{ released: number; stillHeld: number }> {
    const { accounts, contacts, conversations, messages, queries, jobs, uow, clock } = this.deps;
    const held = await queries.listHeld(cmd.workspaceId, cmd.accountId, cmd.limit ?? 1000);
    let released = 0;
    let stillHeld = 0;
    for (const id of held) {
      const job = await uow.run(async () => {
        const message = await messages.get(cmd.workspaceId, id as MessageId);
        if (!message || message.deliveryState !== 'held') return null;
        const [account, conversation, contact] = await Promise.all([
          accounts.get(cmd.workspaceId, message.accountId), conversations.get(cmd.workspaceId, message.conversationId), contacts.get(cmd.workspaceId, message.contactId),
        ]);
        if (!account || !conversation || !contact) return null;
        const decision = gateOutbound({ account, conversation, contact, author: message.authorKind as OutboundAuthor, now: clock.now() });
        if (decision.outcome !== 'send') {
          // The reason may have changed (token fixed, window now closed): show the current one.
          if (decision.outcome === 'hold') message.hold(decision.reason); else message.refuse(decision.reason);
          await messages.save(message);
          return null;
        }
        message.release();
        await messages.save(message);
        return outboundSendJob(cmd.workspaceId, message, decision.tag, `release:${clock.now().getTime()}`);
      });
      if (job) {
        await jobs.enqueue(job);
        released++;
      } else {
        stillHeld++;
      }
    }
    return { released, stillHeld };
  }
}
