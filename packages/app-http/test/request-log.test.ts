import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildSessionApp, signUp } from './support/session-app.js';

const ORIGIN = 'http://localhost:3000';

// The product's audit promise: access timestamps and API request logs, under retention. Requests
// are stored (who, route pattern, status, when), listed to members with audit.read, and removed
// with a user's erasure (the receipt counts them); the sweep side is tested in the domain.
describe('the stored API request log', () => {
  it('records each request with its route pattern (never the path or query), lists them newest first, and keeps strangers out', async () => {
    const s = buildSessionApp({ recordRequests: true });
    const ana = await signUp(s.app, { name: 'Ana' });
    const bo = await signUp(s.app, { name: 'Bo' });
    const base = `/api/workspaces/${ana.workspaceId}`;
    await request(s.app).get(`${base}/orders?status=confirmed&q=secret-text`).set('Cookie', ana.cookie).expect(200);
    await request(s.app).get(`${base}/contacts/00000000-0000-7000-8000-00000000abcd`).set('Cookie', ana.cookie).expect(404);
    // Bo probes Ana's workspace: logged, but not into Ana's log.
    await request(s.app).get(`${base}/orders`).set('Cookie', bo.cookie).expect(404);
    await request(s.app).get('/healthz').expect(200);
    await s.recorder!.flush();

    const page = await request(s.app).get(`${base}/audit/requests?limit=50`).set('Cookie', ana.cookie);
    expect(page.status).toBe(200);
    const items = page.body.items as Array<{ route: string; method: string; status: number; userId: string; at: string; durationMs: number }>;
    expect(items.slice(0, 2).map((e) => [e.method, e.route, e.status, e.userId])).toEqual([
      ['GET', '/api/workspaces/:workspaceId/contacts/:contactId', 404, ana.userId],
      ['GET', '/api/workspaces/:workspaceId/orders', 200, ana.userId],
    ]);
    expect(items.every((e) => e.userId === ana.userId)).toBe(true);
    const text = JSON.stringify(page.body);
    for (const leak of ['secret-text', 'abcd', bo.userId, '/healthz']) expect(text).not.toContain(leak);
    expect(Date.parse(items[0]!.at)).toBe(s.clock.now().getTime());

    // The listing itself is a request: it shows up on the next read, with a cursor to page back.
    await s.recorder!.flush();
    const first = await request(s.app).get(`${base}/audit/requests?limit=1`).set('Cookie', ana.cookie);
    expect(first.body.items[0]).toMatchObject({ route: '/api/workspaces/:workspaceId/audit/requests', status: 200 });
    const next = await request(s.app).get(`${base}/audit/requests?limit=1&cursor=${first.body.nextCursor}`).set('Cookie', ana.cookie);
    expect(next.body.items[0].id).not.toBe(first.body.items[0].id);
    expect((await request(s.app).get(`${base}/audit/requests`).set('Cookie', bo.cookie)).status).toBe(404);
    await s.recorder!.stop();
  });

  it('goes with the user: erasing an account removes their logged requests and the receipt counts them', async () => {
    const s = buildSessionApp({ recordRequests: true });
    const cy = await signUp(s.app, { name: 'Cy' });
    await request(s.app).get('/api/me').set('Cookie', cy.cookie).expect(200);
    await request(s.app).get(`/api/workspaces/${cy.workspaceId}/orders`).set('Cookie', cy.cookie).expect(200);
    await s.recorder!.flush();
    // The sole owner hands nothing over: the workspace goes first (its log with it), then the account.
    await request(s.app).delete(`/api/workspaces/${cy.workspaceId}`).set('Cookie', cy.cookie).set('Origin', ORIGIN).expect(200);
    await s.recorder!.flush();
    const erased = await request(s.app).delete('/api/me').set('Cookie', cy.cookie).set('Origin', ORIGIN);
    expect(erased.status).toBe(200);
    // Left to remove: the account-level requests (/api/me, the workspace deletion itself).
    expect(erased.body.receipt.counts.api_request_logs).toBeGreaterThanOrEqual(2);
    await s.recorder!.stop();
  });
});
