import { describe, expect, it } from 'vitest';
import { Ids, Session, SweepAccountRecords } from '../src/index.js';
import { createInMemoryRepositories, FakeClock, InMemoryRequestLog } from '../in-memory/index.js';
import { make, uuid } from '../testing/index.js';

const DAY = 86400_000;

describe('SweepAccountRecords', () => {
  it('deletes audit entries and API request logs older than one year and sessions ended 30 days ago, in batches, and nothing younger', async () => {
    const repos = createInMemoryRepositories();
    const clock = new FakeClock('2027-06-01T00:00:00Z');
    const now = clock.now().getTime();
    const ws = Ids.workspace(uuid(1));
    await repos.uow.run(async () => {
      await repos.workspaces.save(make.workspace(ws, clock.now()));
      const ages = [400, 366, 365, 364, 10];
      for (const [i, days] of ages.entries()) {
        await repos.audit.append({ id: Ids.auditEntry(uuid(10 + i)), workspaceId: ws, actor: { kind: 'system' }, action: `a${days}`, target: null, at: new Date(now - days * DAY), requestId: null, details: {} });
      }
      const user = make.user(uuid(2), 'a@b.co', new Date(now - 100 * DAY));
      await repos.users.save(user);
      const old = Session.start({ tokenHash: 'old', userId: user.id, now: new Date(now - 100 * DAY) });
      const recent = Session.start({ tokenHash: 'recent', userId: user.id, now: new Date(now - 2 * DAY) });
      await repos.sessions.save(old);
      await repos.sessions.save(recent);
    });
    const requestLog = new InMemoryRequestLog();
    await requestLog.append([400, 365, 364].map((days, i) => ({
      id: uuid(30 + i), at: new Date(now - days * DAY), workspaceId: ws, userId: null, method: 'GET', route: '/api/workspaces/:workspaceId/orders', status: 200, durationMs: 3, requestId: `r${days}`,
    })));
    const result = await new SweepAccountRecords({ ...repos, clock, requestLog }).execute({ batchSize: 1 });
    expect(result).toEqual({ auditEntries: 3, sessions: 1, requestLogs: 2 });
    expect((await requestLog.list(ws)).map((e) => e.requestId)).toEqual(['r364']);
    expect((await repos.audit.list(ws)).map((e) => e.action).sort()).toEqual(['a10', 'a364']);
    expect(await repos.sessions.get('old')).toBeNull();
    expect(await repos.sessions.get('recent')).not.toBeNull();
    expect(await new SweepAccountRecords({ ...repos, clock, requestLog }).execute()).toEqual({ auditEntries: 0, sessions: 0, requestLogs: 0 });
  });
});
