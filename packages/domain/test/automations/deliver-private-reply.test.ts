import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DeliverCommentPrivateReply, err, instagramTokenAad, ok,
  type InstagramAccountId, type InstagramGateway, type PrivateReplyOutbox, type PrivateReplyRecord, type PrivateReplyState, type RateDecision, type RateLimiter,
  type SendFailure, type TokenCipher, type WorkspaceId,
} from '../../src/index.js';
import { FakeClock, createInMemoryRepositories } from '../../in-memory/index.js';
import { make, uuid } from '../../testing/fixtures.js';

const IG = '17841400000000009';
const DAY = 86400_000;

const cipher: TokenCipher = {
  currentKeyId: () => 'k1',
  encrypt: async (plaintext, aad) => ({ keyId: 'k1', data: JSON.stringify([aad, plaintext]) }),
  decrypt: async (c) => (JSON.parse(c.data) as [string, string])[1],
};

class MemoryOutbox implements PrivateReplyOutbox {
  readonly rows = new Map<string, PrivateReplyRecord>();
  claim(ws: WorkspaceId, accountId: InstagramAccountId, commentId: string, state: PrivateReplyState = 'queued') {
    this.rows.set(`${accountId}:${commentId}`, { workspaceId: ws, accountId, commentId, state, reason: null, platformMessageId: null });
  }
  async get(_ws: WorkspaceId, accountId: InstagramAccountId, commentId: string) { return this.rows.get(`${accountId}:${commentId}`) ?? null; }
  async transition(key: { accountId: InstagramAccountId; commentId: string }, from: PrivateReplyState, to: { state: PrivateReplyState; reason?: string | null; platformMessageId?: string | null }) {
    const k = `${key.accountId}:${key.commentId}`;
    const row = this.rows.get(k);
    if (!row || row.state !== from) return false;
    this.rows.set(k, { ...row, state: to.state, reason: to.reason ?? null, platformMessageId: to.platformMessageId ?? row.platformMessageId });
    return true;
  }
}

/** Instagram's Send API answering from a script; `delivered` is what a commenter would see. */
class ScriptedGateway implements InstagramGateway {
  readonly delivered: string[] = [];
  script: Array<SendFailure | 'ok'> = [];
  async send(input: Parameters<InstagramGateway['send']>[0]) {
    const next = this.script.shift() ?? 'ok';
    if (next !== 'ok') return err(next);
    const id = 'commentId' in input.recipient ? input.recipient.commentId : 'dm';
    this.delivered.push(id);
    return ok({ platformMessageId: `mid-${this.delivered.length}` });
  }
}

class ScriptedLimiter implements RateLimiter {
  next: RateDecision[] = [];
  paused: Date | null = null;
  async tryAcquire() { return this.next.shift() ?? { granted: true as const }; }
  async reportUsage() {}
  async pauseUntil(_key: string, until: Date) { this.paused = until; }
}

async function world() {
  const clock = new FakeClock('2026-03-01T10:00:00.000Z');
  const repos = createInMemoryRepositories();
  const ws = make.workspace(uuid(1), clock.now());
  const account = make.account(uuid(2), ws.id, IG, clock.now());
  await repos.uow.run(async () => {
    await repos.workspaces.save(ws);
    await repos.accounts.save(account);
    const aad = instagramTokenAad(ws.id, account.id);
    await repos.secrets.save({ id: account.tokenRef!, workspaceId: ws.id, purpose: 'instagram_token', ciphertext: await cipher.encrypt('token', aad), aad, createdAt: clock.now() });
  });
  const outbox = new MemoryOutbox();
  const gateway = new ScriptedGateway();
  const limiter = new ScriptedLimiter();
  const deliver = new DeliverCommentPrivateReply({
    accounts: repos.accounts, contacts: repos.contacts, secrets: repos.secrets, cipher, gateway, limiter, outbox, uow: repos.uow, clock, options: { sleep: async () => undefined },
  });
  const cmd = (commentId: string, over: Partial<Parameters<DeliverCommentPrivateReply['execute']>[0]> = {}) =>
    ({ workspaceId: ws.id, accountId: account.id, commentId, commentAt: clock.now(), fromId: 'fan-1', text: 'Here is the link', ...over });
  return { clock, repos, ws, account, outbox, gateway, limiter, deliver, cmd };
}

describe('DeliverCommentPrivateReply', () => {
  it('sends once and records the platform id; a second run sends nothing', async () => {
    const w = await world();
    w.outbox.claim(w.ws.id, w.account.id, 'c1');
    expect(await w.deliver.execute(w.cmd('c1'))).toEqual({ kind: 'sent', platformMessageId: 'mid-1' });
    expect(await w.deliver.execute(w.cmd('c1'))).toEqual({ kind: 'settled', state: 'sent' });
    expect(w.gateway.delivered).toEqual(['c1']);
    expect(await w.outbox.get(w.ws.id, w.account.id, 'c1')).toMatchObject({ state: 'sent', platformMessageId: 'mid-1' });
  });

  it('refuses, with the reason recorded: window closed, account not connected, restricted commenter', async () => {
    const w = await world();
    w.outbox.claim(w.ws.id, w.account.id, 'old');
    expect(await w.deliver.execute(w.cmd('old', { commentAt: new Date(w.clock.now().getTime() - 7 * DAY) }))).toEqual({ kind: 'refused', reason: 'private_reply_window_closed' });

    const contact = make.contact(uuid(3), w.ws.id, w.account.id, 'fan-1', w.clock.now());
    contact.restrictProcessing(true, w.clock.now());
    await w.repos.uow.run(() => w.repos.contacts.save(contact));
    w.outbox.claim(w.ws.id, w.account.id, 'restricted');
    expect(await w.deliver.execute(w.cmd('restricted'))).toEqual({ kind: 'refused', reason: 'contact_restricted' });

    w.account.markTokenExpired('reconnect', w.clock.now());
    await w.repos.uow.run(() => w.repos.accounts.save(w.account));
    w.outbox.claim(w.ws.id, w.account.id, 'expired');
    expect(await w.deliver.execute(w.cmd('expired', { fromId: null }))).toEqual({ kind: 'refused', reason: 'account_token_expired' });

    expect(w.gateway.delivered).toEqual([]);
    expect([...w.outbox.rows.values()].map((r) => [r.commentId, r.state, r.reason])).toEqual([
      ['old', 'refused', 'private_reply_window_closed'], ['restricted', 'refused', 'contact_restricted'], ['expired', 'refused', 'account_token_expired'],
    ]);
  });

  it('maps Send API failures: rate limit goes back to queued, 190 expires the account, a timeout is never retried', async () => {
    const w = await world();
    w.outbox.claim(w.ws.id, w.account.id, 'c1');
    w.gateway.script = [{ kind: 'RateLimited', retryAfterMs: 60_000 }];
    expect(await w.deliver.execute(w.cmd('c1'))).toMatchObject({ kind: 'retry', afterMs: 60_000 });
    expect(w.limiter.paused).toEqual(new Date(w.clock.now().getTime() + 60_000));
    expect((await w.outbox.get(w.ws.id, w.account.id, 'c1'))!.state).toBe('queued');
    expect(await w.deliver.execute(w.cmd('c1'))).toMatchObject({ kind: 'sent' });

    w.outbox.claim(w.ws.id, w.account.id, 'c2');
    w.gateway.script = [{ kind: 'Transient', message: 'timeout' }];
    expect(await w.deliver.execute(w.cmd('c2'))).toEqual({ kind: 'unknown', reason: 'timeout' });
    expect(await w.deliver.execute(w.cmd('c2'))).toEqual({ kind: 'settled', state: 'unknown' });

    w.outbox.claim(w.ws.id, w.account.id, 'c3');
    w.gateway.script = [{ kind: 'TokenInvalid' }];
    expect(await w.deliver.execute(w.cmd('c3'))).toEqual({ kind: 'failed', reason: 'token_expired' });
    expect((await w.repos.accounts.get(w.ws.id, w.account.id))!.status).toBe('token_expired');
    expect(w.gateway.delivered).toEqual(['c1']);
  });

  it('a full privateReplies bucket waits (retry) without touching the claim', async () => {
    const w = await world();
    w.outbox.claim(w.ws.id, w.account.id, 'c1');
    w.limiter.next = [{ granted: false, retryAfterMs: 600_000, reason: 'full' }];
    expect(await w.deliver.execute(w.cmd('c1'))).toMatchObject({ kind: 'retry', afterMs: 600_000 });
    expect((await w.outbox.get(w.ws.id, w.account.id, 'c1'))!.state).toBe('queued');
    expect(w.gateway.delivered).toEqual([]);
  });

  it('whatever Instagram answers and however often the job runs, a comment is delivered at most once', async () => {
    const failure = fc.constantFrom<SendFailure | 'ok'>('ok', { kind: 'RateLimited', retryAfterMs: 1000 }, { kind: 'Transient', message: 'x' }, { kind: 'BadRequest', message: 'x' }, { kind: 'WindowClosed' }, { kind: 'RecipientUnavailable' });
    await fc.assert(fc.asyncProperty(fc.array(failure, { maxLength: 6 }), fc.integer({ min: 1, max: 8 }), async (script, runs) => {
      const w = await world();
      w.outbox.claim(w.ws.id, w.account.id, 'c1');
      w.gateway.script = [...script];
      for (let i = 0; i < runs; i++) await w.deliver.execute(w.cmd('c1'));
      expect(w.gateway.delivered.length).toBeLessThanOrEqual(1);
      const row = (await w.outbox.get(w.ws.id, w.account.id, 'c1'))!;
      expect(row.state === 'sent').toBe(w.gateway.delivered.length === 1);
    }), { numRuns: 60 });
  });
});
