import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildTestApp, WS_THINGS } from './support/harness.js';

describe('workspace-scoped routes', () => {
  const { app } = buildTestApp();
  const foreign = '/api/workspaces/0190a000-0000-7000-8000-0000000000bb/things';

  it('answer 404 for a workspace the caller is not a member of, before permission and validation', async () => {
    const res = await request(app).post(foreign).set('Authorization', 'Bearer analyst').send({ bad: true });
    expect(res.status).toBe(404);
    expect(res.body.type).toBe('https://palette.dev/problems/not-found');
  });

  it('answer 404 for a malformed workspace id instead of reaching the database', async () => {
    const res = await request(app).post('/api/workspaces/not-a-uuid/things').set('Authorization', 'Bearer owner').send({ name: 'x', quantity: 1 });
    expect(res.status).toBe(404);
  });

  it('then check the permission in the member\'s own workspace', async () => {
    expect((await request(app).post(WS_THINGS).set('Authorization', 'Bearer analyst').send({ name: 'x', quantity: 1 })).status).toBe(403);
    expect((await request(app).post(WS_THINGS).set('Authorization', 'Bearer admin').send({ name: 'x', quantity: 1 })).status).toBe(201);
  });

  it('reject a session route whose path has no :workspaceId at definition time', async () => {
    const { defineRoute } = await import('../src/http/route.js');
    expect(() => defineRoute({ method: 'get', path: '/api/orphan', summary: 's', tags: [], auth: 'session', responses: { 200: { description: 'ok' } } }, () => ({ status: 200 }))).toThrow(/:workspaceId/);
  });
});
