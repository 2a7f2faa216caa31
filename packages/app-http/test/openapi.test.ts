import request from 'supertest';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import type { OpenApiDocument } from '../src/http/openapi.js';
import { openApiDocument } from '../src/http/openapi.js';
import { defineRoute, openApiPath } from '../src/http/route.js';
import { buildTestApp, sampleRoutes } from './support/harness.js';

describe('GET /api/openapi.json', () => {
  const { app } = buildTestApp();

  it('describes every route of the table, with its parameters, body, auth and problems', async () => {
    const res = await request(app).get('/api/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body as OpenApiDocument;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.jsonSchemaDialect).toBe('https://json-schema.org/draft/2020-12/schema');

    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`));
    const served = app.routeTable.map((route) => `${route.method} ${openApiPath(route.path)}`);
    expect(served).toEqual(expect.arrayContaining(['get /healthz', 'get /readyz', 'get /metrics', 'get /api/openapi.json', 'get /api/docs', 'get /api/things/{thingId}', 'post /api/workspaces/{workspaceId}/things']));
    expect(documented.sort()).toEqual(served.sort());

    for (const route of app.routeTable) {
      const op = doc.paths[openApiPath(route.path)]?.[route.method];
      expect(op?.operationId, `${route.method} ${route.path}`).toBe(route.operationId);
      const pathParams = (op?.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      expect(pathParams).toEqual(route.path.split('/').filter((s) => s.startsWith(':')).map((s) => s.slice(1)));
      expect(op?.responses['500']).toBeDefined();
      expect(op?.security !== undefined).toBe(route.auth === 'session');
    }
  });

  it('documents parameters from the zod schemas, as clients send them', () => {
    const op = app.openApi.paths['/api/things/{thingId}']?.['get'];
    expect(op?.parameters).toEqual([
      { name: 'thingId', in: 'path', required: true, description: 'The thing id, t-<digits>.', schema: { type: 'string', pattern: '^t-\\d+$' } },
      { name: 'verbose', in: 'query', required: false, schema: { type: 'string', enum: ['yes', 'no'], default: 'no' } },
      { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 50 } },
    ]);
    expect(op?.responses['200']?.content?.['application/json']?.schema).toEqual({ $ref: '#/components/schemas/Thing' });
    expect(Object.keys(op?.responses ?? {}).sort()).toEqual(['200', '400', '404', '429', '500']);
  });

  it('documents request bodies, permissions, and the problems a route can answer', () => {
    const op = app.openApi.paths['/api/workspaces/{workspaceId}/things']?.['post'];
    expect(op?.requestBody?.content['application/json']?.schema).toEqual({
      type: 'object',
      properties: { name: { type: 'string', minLength: 1, maxLength: 40 }, quantity: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } },
      required: ['name', 'quantity'],
      additionalProperties: false,
    });
    expect(op?.security).toEqual([{ session: [] }]);
    expect(op?.['x-permission']).toBe('catalog.write');
    expect(Object.keys(op?.responses ?? {}).sort()).toEqual(['201', '400', '401', '403', '404', '409', '413', '415', '429', '500']);
    expect(op?.responses['400']?.description).toContain('https://palette.dev/problems/validation');
    expect(op?.responses['400']?.description).toContain('https://palette.dev/problems/malformed-json');
    expect(op?.responses['401']?.content).toEqual({ 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } });
  });

  it('writes named schemas once, in components', () => {
    const { schemas } = app.openApi.components;
    expect(schemas['Problem']).toMatchObject({ type: 'object', required: expect.arrayContaining(['type', 'title', 'status', 'detail', 'instance', 'requestId']) });
    expect(schemas['Thing']).toMatchObject({ type: 'object', description: 'A thing the tests sell.', required: ['id', 'name', 'quantity'] });
    expect(JSON.stringify(app.openApi)).not.toContain('#/$defs/');
    expect(JSON.stringify(app.openApi)).not.toContain('"$schema"');
  });

  it('keeps both readings of a named schema used as input and as output', () => {
    const Address = z.object({ city: z.string(), country: z.string().default('PT') }).meta({ id: 'AddressForOpenApiTest' });
    const route = defineRoute(
      { method: 'put', path: '/api/address', summary: 'Set the address', tags: ['t'], auth: 'public', body: Address, responses: { 200: { description: 'Saved', body: Address } } },
      ({ body }) => ({ status: 200, body }),
    );
    const doc = openApiDocument([route], { title: 't', version: '1' });
    const op = doc.paths['/api/address']?.['put'];
    const inRef = (op?.requestBody?.content['application/json']?.schema as { $ref: string }).$ref;
    const outRef = (op?.responses['200']?.content?.['application/json']?.schema as { $ref: string }).$ref;
    expect(inRef).not.toBe(outRef);
    const name = (ref: string) => ref.replace('#/components/schemas/', '');
    expect(doc.components.schemas[name(inRef)]).toMatchObject({ required: ['city'] });
    expect(doc.components.schemas[name(outRef)]).toMatchObject({ required: ['city', 'country'] });
  });

  it('refuses two different schemas under one id', () => {
    const a = z.object({ a: z.string() }).meta({ id: 'ClashForOpenApiTest' });
    const b = z.object({ b: z.number() }).meta({ id: 'ClashForOpenApiTest' });
    const routes = [
      defineRoute({ method: 'get', path: '/a', summary: 'a', tags: [], auth: 'public', responses: { 200: { description: 'a', body: a } } }, () => ({ status: 200, body: { a: 'x' } })),
      defineRoute({ method: 'get', path: '/b', summary: 'b', tags: [], auth: 'public', responses: { 200: { description: 'b', body: b } } }, () => ({ status: 200, body: { b: 1 } })),
    ];
    expect(() => openApiDocument(routes, { title: 't', version: '1' })).toThrow(/several different schemas are named "ClashForOpenApiTest"/);
  });
});

describe('GET /api/docs', () => {
  const { app } = buildTestApp();

  it('is a self-contained HTML page listing every operation, its parameters and schemas', async () => {
    const res = await request(app).get('/api/docs');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    for (const route of app.routeTable) {
      expect(res.text).toContain(`<code>${openApiPath(route.path)}</code>`);
      expect(res.text).toContain(`id="op-${route.operationId}"`);
    }
    expect(res.text).toContain('<code>thingId</code>');
    expect(res.text).toContain('permission <code>catalog.write</code>');
    expect(res.text).toContain('id="schema-Thing"');
    // Nothing fetched from elsewhere, nothing executed.
    expect(res.text).not.toMatch(/<script|<link|src=|https?:\/\/(?!palette\.dev\/problems|json-schema\.org|localhost)/);
  });

  it('escapes text from route definitions', async () => {
    const sneaky = defineRoute(
      { method: 'get', path: '/api/sneaky', summary: '<img src=x onerror=alert(1)>', tags: ['<b>tag</b>'], auth: 'public', responses: { 200: { description: 'ok' } } },
      () => ({ status: 200 }),
    );
    const { app: withSneaky } = buildTestApp({ routes: [...sampleRoutes, sneaky] });
    const res = await request(withSneaky).get('/api/docs');
    expect(res.text).not.toContain('<img');
    expect(res.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(res.text).not.toContain('<b>tag</b>');
  });
});
