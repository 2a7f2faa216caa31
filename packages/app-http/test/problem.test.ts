import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildTestApp, WS_THINGS } from './support/harness.js';

const PROBLEM_JSON = /^application\/problem\+json; charset=utf-8$/;

describe('errors are RFC 9457 problem documents', () => {
  const { app, logs } = buildTestApp();

  it('answers an unknown route with a 404 not-found problem', async () => {
    const res = await request(app).get('/api/nowhere?token=abc').set('X-Request-Id', 'req-12345678');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(res.body).toEqual({
      type: 'https://palette.dev/problems/not-found',
      title: 'Not found',
      status: 404,
      detail: 'Nothing is served at this path.',
      instance: '/api/nowhere',
      requestId: 'req-12345678',
    });
  });

  it('answers a known path with the wrong method with 405 and Allow', async () => {
    const res = await request(app).put('/api/things/t-1').send({});
    expect(res.status).toBe(405);
    expect(res.headers['allow']).toBe('GET, HEAD');
    expect(res.body.type).toBe('https://palette.dev/problems/method-not-allowed');
  });

  it('lists every invalid field of params, query and body at once, with paths and codes', async () => {
    const res = await request(app).get('/api/things/nope?limit=500&verbose=maybe');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(res.body.type).toBe('https://palette.dev/problems/validation');
    expect(res.body.errors).toEqual([
      { path: 'params.thingId', message: expect.any(String), code: 'invalid_format' },
      { path: 'query.verbose', message: expect.stringContaining('"yes"'), code: 'invalid_value' },
      { path: 'query.limit', message: expect.any(String), code: 'too_big' },
    ]);
  });

  it('reports unknown body fields one by one, and nested paths', async () => {
    const res = await request(app).post(WS_THINGS).set('Authorization', 'Bearer owner').send({ name: '', quantity: 1.5, colour: 'red', size: 2 });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { path: 'body.name', message: expect.any(String), code: 'too_small' },
        { path: 'body.quantity', message: expect.any(String), code: 'invalid_type' },
        { path: 'body.colour', message: 'Unknown field', code: 'unrecognized_keys' },
        { path: 'body.size', message: 'Unknown field', code: 'unrecognized_keys' },
      ]),
    );
    expect(res.body.errors).toHaveLength(4);
  });

  it('answers a missing body on a route that needs one with a validation problem on `body`', async () => {
    const res = await request(app).post(WS_THINGS).set('Authorization', 'Bearer owner');
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: 'body', message: expect.any(String), code: 'invalid_type' }]);
  });

  it('answers 413 payload-too-large above the body limit', async () => {
    const res = await request(app)
      .post(WS_THINGS)
      .set('Authorization', 'Bearer owner')
      .send({ name: 'x', quantity: 1, padding: 'p'.repeat(2048) });
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(res.body).toMatchObject({ type: 'https://palette.dev/problems/payload-too-large', status: 413, detail: 'The request body is larger than the 1 KB limit.' });
  });

  it('answers 415 to a state-changing request with a non-JSON body', async () => {
    const res = await request(app).post(WS_THINGS).set('Authorization', 'Bearer owner').type('form').send('name=x&quantity=1');
    expect(res.status).toBe(415);
    expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(res.body.type).toBe('https://palette.dev/problems/unsupported-media-type');
    expect(res.headers['accept-post']).toBe('application/json');
  });

  it('also answers 415 on a state-changing route that takes no body, and accepts it bodiless', async () => {
    const withText = await request(app).delete(`${WS_THINGS}/t-1`).set('Authorization', 'Bearer owner').type('text/plain').send('please');
    expect(withText.status).toBe(415);
    const bare = await request(app).delete(`${WS_THINGS}/t-1`).set('Authorization', 'Bearer owner');
    expect(bare.status).toBe(204);
  });

  it('accepts +json media types', async () => {
    const res = await request(app)
      .post(WS_THINGS)
      .set('Authorization', 'Bearer owner')
      .set('Content-Type', 'application/merge-patch+json')
      .send(JSON.stringify({ name: 'lamp', quantity: 2 }));
    expect(res.status).toBe(201);
  });

  it('answers malformed JSON with 400 malformed-json, without quoting the body', async () => {
    const res = await request(app).post(WS_THINGS).set('Authorization', 'Bearer owner').set('Content-Type', 'application/json').send('{"name": "secret-text",');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(res.body.type).toBe('https://palette.dev/problems/malformed-json');
    expect(JSON.stringify(res.body)).not.toContain('secret-text');
  });

  it('turns an unexpected error into a generic 500: no message, no stack; the log has both', async () => {
    const res = await request(app).get('/api/boom').set('X-Request-Id', 'boom-request-1');
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(res.body).toEqual({
      type: 'https://palette.dev/problems/internal',
      title: 'Internal server error',
      status: 500,
      detail: 'Something went wrong on our side. Quote request id boom-request-1 if you report it.',
      instance: '/api/boom',
      requestId: 'boom-request-1',
    });
    expect(res.text).not.toContain('hunter2');
    expect(res.text).not.toMatch(/at .*\.ts:\d+/);

    const line = logs.entries().find((e) => e['requestId'] === 'boom-request-1');
    expect(line).toMatchObject({ level: 50, err: { message: 'database password is hunter2 at /srv/secret/path' } });
    expect(String((line?.['err'] as { stack?: string }).stack)).toContain('harness.ts');
  });

  it('turns a reply outside the declared contract into a 500, not a leak', async () => {
    const res = await request(app).get('/api/broken-contract');
    expect(res.status).toBe(500);
    expect(res.body.type).toBe('https://palette.dev/problems/internal');
  });

  it('strips fields the response schema does not declare', async () => {
    const res = await request(app).get('/api/things/t-7?verbose=yes&limit=3');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({ id: 't-7', name: 'A verbose thing', quantity: 3 });
  });

  it('answers problems thrown by handlers with their type, detail and business code', async () => {
    const notFound = await request(app).get('/api/things/t-404');
    expect(notFound.status).toBe(404);
    expect(notFound.body.type).toBe('https://palette.dev/problems/not-found');

    const conflict = await request(app).post(WS_THINGS).set('Authorization', 'Bearer owner').send({ name: 'taken', quantity: 1 });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ type: 'https://palette.dev/problems/conflict', detail: 'A thing with this name exists.', code: 'thing.name_taken' });
  });

  it('maps a lost optimistic-locking race to 409 conflict', async () => {
    const res = await request(app).post(WS_THINGS).set('Authorization', 'Bearer owner').send({ name: 'race', quantity: 1 });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ type: 'https://palette.dev/problems/conflict', code: 'concurrency.conflict' });
  });
});

describe('request ids', () => {
  const { app, logs } = buildTestApp();

  it('echoes a sane incoming X-Request-Id and logs under it', async () => {
    const res = await request(app).get('/healthz').set('X-Request-Id', 'lb-7f3a9c21:01');
    expect(res.headers['x-request-id']).toBe('lb-7f3a9c21:01');
    expect(logs.entries().some((e) => e['requestId'] === 'lb-7f3a9c21:01')).toBe(true);
  });

  it('replaces an insane one (too long, or with characters that could forge log lines)', async () => {
    for (const bad of ['x'.repeat(200), 'abc\u00e9defghij', 'short', 'has space in it']) {
      const res = await request(app).get('/healthz').set('X-Request-Id', bad);
      expect(res.headers['x-request-id']).not.toBe(bad);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('generates a distinct id per request, also on problems', async () => {
    const a = await request(app).get('/nowhere');
    const b = await request(app).get('/nowhere');
    expect(a.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    expect(a.body.requestId).toBe(a.headers['x-request-id']);
  });
});
