import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { sessionKey } from '../src/http/rate-limit.js';
import { buildTestApp, testConfig } from './support/harness.js';

describe('per-session rate limit', () => {
  it('limits one session across addresses while another session and anonymous callers go on', async () => {
    const { app } = buildTestApp({ config: { ...testConfig, trustProxy: 1 }, rateLimit: { windowMs: 60_000, limit: 100, sessionLimit: 2 } });
    const as = (cookie: string, ip: string) => request(app).get('/api/things/t-1').set('Cookie', cookie).set('X-Forwarded-For', ip);
    expect((await as('palette_session=aaaaaaaaaaaaaaaaaaaaaa', '203.0.113.1')).status).toBe(200);
    expect((await as('palette_session=aaaaaaaaaaaaaaaaaaaaaa', '203.0.113.2')).status).toBe(200);
    const limited = await as('palette_session=aaaaaaaaaaaaaaaaaaaaaa', '203.0.113.3');
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    expect(limited.body.detail).toContain('this session');
    expect((await as('palette_session=bbbbbbbbbbbbbbbbbbbbbb', '203.0.113.1')).status).toBe(200);
    expect((await request(app).get('/api/things/t-1').set('X-Forwarded-For', '203.0.113.1')).status).toBe(200);
  });

  it('keys by a hash of the cookie, never the token itself', () => {
    const key = sessionKey({ secure: true, headers: { cookie: 'x=1; __Host-palette_session=secret-token-0123456789' } } as never);
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(key).not.toContain('secret');
    expect(sessionKey({ headers: {} } as never)).toBeNull();
    // Over HTTPS only the __Host- cookie counts, exactly as for authentication.
    expect(sessionKey({ secure: true, headers: { cookie: 'palette_session=secret-token-0123456789' } } as never)).toBeNull();
  });
});
