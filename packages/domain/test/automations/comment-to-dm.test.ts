import { describe, expect, it } from 'vitest';
import { FakeClock, InMemoryAssistantRecords, RecordingJobQueue, createInMemoryRepositories } from '../../in-memory/index.js';
import { make, uuid } from '../../testing/fixtures.js';
import { PRIVATE_REPLY_JOB, SendCommentPrivateReply, type AutomationRule } from '../../src/index.js';

const IG = '17841400000000001';

async function world() {
  const clock = new FakeClock('2026-03-01T10:00:00.000Z');
  const repos = createInMemoryRepositories();
  const records = new InMemoryAssistantRecords(repos.db);
  const jobs = new RecordingJobQueue();
  const ws = make.workspace(uuid(1), clock.now());
  const account = make.account(uuid(2), ws.id, IG, clock.now());
  await repos.uow.run(async () => { await repos.workspaces.save(ws); await repos.accounts.save(account); });
  const rule: AutomationRule = {
    id: uuid(0x10), workspaceId: ws.id, name: 'Link', enabled: true, trigger: 'comment', matcher: { keywords: ['link', 'enlace'], mode: 'contains', combine: 'any' },
    postId: '1790001', action: { kind: 'reply', text: 'Here is the link: https://shop.example/p/1' }, priority: 1, createdAt: clock.now(), updatedAt: clock.now(),
  };
  await records.saveRule(rule);
  const useCase = new SendCommentPrivateReply({ accounts: repos.accounts, automations: records, ledger: records, jobs, uow: repos.uow, clock });
  const comment = (over: Partial<Parameters<SendCommentPrivateReply['execute']>[0]> = {}) => ({
    igUserId: IG, commentId: 'c-1', fromId: 'fan-1', text: 'Send me the LINK please', mediaId: '1790001', at: clock.now(), ...over,
  });
  return { clock, records, jobs, useCase, comment, account, ws };
}

describe('comment-to-DM', () => {
  it('queues exactly one private reply per matching comment, however often the event arrives', async () => {
    const w = await world();
    expect(await w.useCase.execute(w.comment())).toMatchObject({ kind: 'queued', ruleId: uuid(0x10) });
    expect(await w.useCase.execute(w.comment())).toEqual({ kind: 'skipped', reason: 'private_reply_already_sent' });
    expect(w.jobs.jobs).toEqual([expect.objectContaining({
      name: PRIVATE_REPLY_JOB, data: { workspaceId: w.ws.id, accountId: w.account.id, commentId: 'c-1', text: 'Here is the link: https://shop.example/p/1', commentAt: '2026-03-01T10:00:00.000Z', fromId: 'fan-1' },
      dedupeKey: `private-reply:${w.account.id}:c-1`,
    })]);
  });

  it('skips our own comments, other posts, non-matching text and comments older than 7 days', async () => {
    const w = await world();
    expect(await w.useCase.execute(w.comment({ fromId: IG }))).toEqual({ kind: 'skipped', reason: 'echo' });
    expect(await w.useCase.execute(w.comment({ commentId: 'c-2', mediaId: '999' }))).toEqual({ kind: 'skipped', reason: 'no_rule' });
    expect(await w.useCase.execute(w.comment({ commentId: 'c-3', text: 'nice colours' }))).toEqual({ kind: 'skipped', reason: 'no_rule' });
    const old = w.comment({ commentId: 'c-4', at: new Date(w.clock.now().getTime() - 7 * 86_400_000) });
    expect(await w.useCase.execute(old)).toEqual({ kind: 'skipped', reason: 'private_reply_window_closed' });
    expect(await w.useCase.execute(w.comment({ igUserId: 'unknown' }))).toEqual({ kind: 'skipped', reason: 'unknown_account' });
    expect(w.jobs.jobs).toEqual([]);
    expect(await w.records.hasPrivateReply(w.ws.id, w.account.id, 'c-4')).toBe(false);
  });
});
