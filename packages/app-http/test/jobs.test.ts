import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildWorkspaceApp, seedFailedJob, seedTenant, TEST_USER_HEADER } from './support/workspace-fixtures.js';

const NOW = new Date('2026-03-01T10:00:00Z');

describe('failed jobs (dead letters)', () => {
  it('lists a workspace\'s dead letters without payloads and retries one, for members with jobs.manage', async () => {
    const w = buildWorkspaceApp();
    const a = await seedTenant(w.reset(), 'A', 1, NOW);
    seedFailedJob(w, a, NOW);
    const base = `/api/workspaces/${a.workspaceId}/jobs/failed`;
    const list = await request(w.app).get(base).set(TEST_USER_HEADER, a.members.admin.userId);
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([{ id: a.jobId, queue: 'outbound.send', reason: 'fixture failure', permanent: false, attempts: 5, createdAt: NOW.toISOString(), failedAt: NOW.toISOString() }]);
    expect((await request(w.app).get(base).set(TEST_USER_HEADER, a.members.agent.userId)).status).toBe(403);
    const retry = await request(w.app).post(`${base}/${a.jobId}/retry`).set(TEST_USER_HEADER, a.members.owner.userId);
    expect(retry.status).toBe(202);
    expect(w.failedJobs.retried).toEqual([a.jobId]);
    expect((await request(w.app).post(`${base}/${a.jobId}/retry`).set(TEST_USER_HEADER, a.members.owner.userId)).status).toBe(404);
  });
});
