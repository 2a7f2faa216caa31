import { createHmac } from 'node:crypto';
import express from 'express';
import request from 'supertest';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { errorHandler } from '../src/http/errors.js';
import { requestId } from '../src/http/request-id.js';
import { defineRoute } from '../src/http/route.js';
import type { RouteDefinition } from '../src/http/route.js';
import { validateBody, validateParams, validateQuery } from '../src/http/validate.js';
import { buildTestApp, captureLogs, sampleRoutes } from './support/harness.js';

const ok200 = { 200: { description: 'ok' } } as const;

describe('defineRoute', () => {
  it('hands the handler parsed values: coerced, defaulted, unknown keys stripped', async () => {
    let seen: unknown;
    const route = defineRoute(
      {
        method: 'get',
        path: '/api/orders/:orderId/lines',
        summary: 'List lines',
        tags: ['orders'],
        auth: 'public',
        params: z.object({ orderId: z.uuid() }),
        query: z.object({ page: z.coerce.number().int().min(1).default(1), sort: z.enum(['asc', 'desc']).default('asc') }),
        responses: ok200,
      },
      ({ params, query, body, principal }) => {
        seen = { params, query, body, principal };
        return { status: 200 };
      },
    );
    const { app } = buildTestApp({ routes: [route] });
    const res = await request(app).get('/api/orders/0190a000-0000-7000-8000-000000000001/lines?page=3&utm=x');
    expect(res.status).toBe(200);
    expect(seen).toEqual({ params: { orderId: '0190a000-0000-7000-8000-000000000001' }, query: { page: 3, sort: 'asc' }, body: undefined, principal: null });
  });

  it('keeps the exact request bytes for rawBody routes, so a webhook can check a signature', async () => {
    const secret = 'app-secret';
    const route = defineRoute(
      {
        method: 'post',
        path: '/webhooks/instagram',
        summary: 'Instagram webhook',
        tags: ['webhooks'],
        auth: 'public',
        rawBody: true,
        body: z.object({ object: z.string() }).loose(),
        responses: { 200: { description: 'Accepted', body: z.object({ signatureValid: z.boolean() }) } },
      },
      ({ rawBody, req }) => {
        const expected = `sha256=${createHmac('sha256', secret).update(rawBody ?? '').digest('hex')}`;
        return { status: 200, body: { signatureValid: req.get('X-Hub-Signature-256') === expected } };
      },
    );
    const { app } = buildTestApp({ routes: [route] });
    // Spacing and key order a re-serialization would lose.
    const payload = '{ "object":"instagram",  "entry":[] }';
    const signature = `sha256=${createHmac('sha256', secret).update(payload).digest('hex')}`;
    const res = await request(app).post('/webhooks/instagram').set('Content-Type', 'application/json').set('X-Hub-Signature-256', signature).send(payload);
    expect(res.body).toEqual({ signatureValid: true });
  });

  it('lets a handler answer by itself (cookies, redirects) by returning nothing', async () => {
    const route = defineRoute(
      { method: 'get', path: '/go', summary: 'Redirect', tags: [], auth: 'public', responses: { 302: { description: 'To the dashboard' } } },
      ({ res }) => res.redirect(302, '/dashboard'),
    );
    const silent = defineRoute({ method: 'get', path: '/silent', summary: 'Forgets to answer', tags: [], auth: 'public', responses: ok200 }, () => undefined);
    const { app } = buildTestApp({ routes: [route, silent] });
    const res = await request(app).get('/go');
    expect(res.status).toBe(302);
    expect(res.headers['location']).toBe('/dashboard');
    expect((await request(app).get('/silent')).status).toBe(500);
  });

  it('rejects paths that are not plain segments and :params', () => {
    for (const path of ['api/x', '/api/*rest', '/api/{optional}', '/api/x/', '/api/:id?', '/api//x']) {
      expect(() => defineRoute({ method: 'get', path, summary: 's', tags: [], auth: 'public', responses: ok200 }, () => ({ status: 200 }))).toThrow(/static segments and :name parameters/);
    }
  });

  it('requires the params schema to match the path parameters exactly', () => {
    expect(() => defineRoute({ method: 'get', path: '/a/:id', summary: 's', tags: [], auth: 'public', responses: ok200 }, () => ({ status: 200 }))).toThrow(/exactly the path parameters \[id\], not \[\]/);
    expect(() =>
      defineRoute({ method: 'get', path: '/a/:id', summary: 's', tags: [], auth: 'public', params: z.object({ id: z.string(), other: z.string() }), responses: ok200 }, () => ({ status: 200 })),
    ).toThrow(/\[id\], not \[id, other\]/);
  });

  it('rejects a body on GET, an error status among responses, and a permission on a public route', () => {
    expect(() => defineRoute({ method: 'get', path: '/a', summary: 's', tags: [], auth: 'public', body: z.object({}), responses: ok200 }, () => ({ status: 200 }))).toThrow(/GET route takes no body/);
    expect(() => defineRoute({ method: 'get', path: '/a', summary: 's', tags: [], auth: 'public', responses: { 404: { description: 'no' } } }, () => ({ status: 404 }))).toThrow(/successes only/);
    const publicWithPermission = { method: 'get', path: '/a', summary: 's', tags: [], auth: 'public', permission: 'orders.read', responses: ok200 } as unknown as Parameters<typeof defineRoute>[0];
    expect(() => defineRoute(publicWithPermission, () => ({ status: 200 }))).toThrow(/only session routes/);
  });

  it('refuses a table where two routes answer the same request, or share an operationId', () => {
    const a = defineRoute({ method: 'get', path: '/x/:a', summary: 's', tags: [], auth: 'public', params: z.object({ a: z.string() }), responses: ok200 }, () => ({ status: 200 }));
    const b = defineRoute({ method: 'get', path: '/x/:b', summary: 's', tags: [], auth: 'public', params: z.object({ b: z.string() }), responses: ok200 }, () => ({ status: 200 }));
    expect(() => buildTestApp({ routes: [a, b] })).toThrow(/Two routes answer GET \/x\/:b/);
    const c = defineRoute({ method: 'post', path: '/y', summary: 's', tags: [], auth: 'public', operationId: 'getXByA', responses: ok200 }, () => ({ status: 200 }));
    expect(() => buildTestApp({ routes: [a, c] })).toThrow(/share the operationId getXByA/);
    expect(() => buildTestApp({ routes: [...sampleRoutes, sampleRoutes[0] as RouteDefinition] })).toThrow(/Two routes answer/);
  });

  it('derives readable operation ids', () => {
    expect(sampleRoutes.map((r) => r.operationId)).toEqual(['getApiThingsByThingId', 'postApiWorkspacesByWorkspaceIdThings', 'deleteApiWorkspacesByWorkspaceIdThingsByThingId', 'getApiBoom', 'getApiBrokenContract']);
  });
});

describe('validate helpers for hand-written handlers', () => {
  const app = express();
  app.use(requestId());
  app.post('/lists/:listId/items', express.json(), async (req, res) => {
    const params = await validateParams(req, z.object({ listId: z.string().regex(/^\d+$/) }));
    const query = await validateQuery(req, z.object({ dryRun: z.enum(['true', 'false']).optional() }));
    const body = await validateBody(req, z.object({ title: z.string().min(1) }));
    res.status(201).json({ params, query, body });
  });
  app.use(errorHandler(captureLogs().logger, 1024));

  it('pass parsed values through', async () => {
    const res = await request(app).post('/lists/12/items?dryRun=true').send({ title: 'Call back', extra: 1 });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ params: { listId: '12' }, query: { dryRun: 'true' }, body: { title: 'Call back' } });
  });

  it('throw a 400 validation problem that Express 5 forwards from the async handler', async () => {
    const res = await request(app).post('/lists/twelve/items').send({ title: '' });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.errors).toEqual([{ path: 'params.listId', message: expect.any(String), code: 'invalid_format' }]);
  });
});

/*
 * Compile-time checks: `npx tsc -p packages/app-http/tsconfig.json` fails if any of these stops
 * being an error. The functions are never called.
 */
export function typeChecks(): RouteDefinition[] {
  const Body = z.object({ name: z.string() });
  return [
    defineRoute(
      // @ts-expect-error a permission that is not in the domain's PERMISSIONS
      { method: 'get', path: '/t1', summary: 's', tags: [], auth: 'session', permission: 'orders.destroy', responses: ok200 },
      () => ({ status: 200 }),
    ),
    defineRoute(
      // @ts-expect-error a public route cannot require a permission
      { method: 'get', path: '/t2', summary: 's', tags: [], auth: 'public', permission: 'orders.read', responses: ok200 },
      () => ({ status: 200 }),
    ),
    defineRoute(
      { method: 'post', path: '/t3', summary: 's', tags: [], auth: 'public', body: Body, responses: { 201: { description: 'c', body: Body } } },
      // @ts-expect-error a status the route does not declare
      () => ({ status: 200, body: { name: 'x' } }),
    ),
    defineRoute(
      { method: 'post', path: '/t4', summary: 's', tags: [], auth: 'public', body: Body, responses: { 201: { description: 'c', body: Body } } },
      // @ts-expect-error a body that does not match the response schema
      () => ({ status: 201, body: { name: 42 } }),
    ),
    defineRoute({ method: 'post', path: '/t5', summary: 's', tags: [], auth: 'public', body: Body, responses: ok200 }, ({ body, principal }) => {
      // @ts-expect-error public routes have no principal
      void principal.role;
      // @ts-expect-error the body is typed from its schema
      void body.missing;
      return { status: 200 };
    }),
    defineRoute({ method: 'get', path: '/t6', summary: 's', tags: [], auth: 'session', responses: ok200 }, ({ principal }) => {
      const role: string = principal.role;
      void role;
      return { status: 200 };
    }),
  ];
}
