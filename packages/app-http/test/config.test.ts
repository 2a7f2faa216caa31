import { describe, expect, it } from 'vitest';
import { formatConfigError, loadConfig } from '../src/config.js';
import type { Config, Environment } from '../src/config.js';

function valid(env: Environment): Config {
  const result = loadConfig(env);
  if (!result.ok) throw new Error(formatConfigError(result.error));
  return result.value;
}

function problems(env: Environment): Record<string, string> {
  const result = loadConfig(env);
  if (result.ok) throw new Error('expected the environment to be rejected');
  expect(result.error.kind).toBe('InvalidEnvironment');
  return Object.fromEntries(result.error.problems.map((p) => [p.variable, p.message]));
}

describe('loadConfig', () => {
  it('has a default for everything', () => {
    expect(valid({})).toEqual({
      port: 3000,
      host: '127.0.0.1',
      publicUrl: 'http://localhost:3000',
      databaseUrl: undefined,
      dataDir: './.palette',
      trustProxy: false,
      logLevel: 'info',
      bodyLimitBytes: 1024 * 1024,
      sessionIdleHours: 12,
      sessionAbsoluteDays: 14,
      corsOrigins: [],
      shutdownGraceMs: 10_000,
      smtpUrl: undefined,
      mailFrom: 'Palette <no-reply@localhost>',
      instagramAppSecret: 'sim-app-secret',
      instagramVerifyToken: 'sim-verify-token',
    });
  });

  it('reads every variable', () => {
    expect(
      valid({
        PORT: '8080',
        HOST: '0.0.0.0',
        PUBLIC_URL: 'https://shop.example.com/',
        DATABASE_URL: 'postgres://palette:pw@db:5432/palette',
        PALETTE_DATA_DIR: '/var/lib/palette',
        TRUST_PROXY: '2',
        LOG_LEVEL: 'DEBUG',
        BODY_LIMIT: '512kb',
        SESSION_IDLE_HOURS: '2',
        SESSION_ABSOLUTE_DAYS: '30',
        CORS_ORIGINS: ' https://shop.example.com , http://localhost:5173,',
        SHUTDOWN_GRACE_MS: '2500',
        SMTP_URL: 'smtps://mailer:pw@mail.example.com:465',
        MAIL_FROM: 'Shop <shop@example.com>',
        INSTAGRAM_APP_SECRET: 'a0b1c2d3e4f5a6b7',
        INSTAGRAM_VERIFY_TOKEN: 'verify-me-please',
      }),
    ).toEqual({
      port: 8080,
      host: '0.0.0.0',
      publicUrl: 'https://shop.example.com',
      databaseUrl: 'postgres://palette:pw@db:5432/palette',
      dataDir: '/var/lib/palette',
      trustProxy: 2,
      logLevel: 'debug',
      bodyLimitBytes: 512 * 1024,
      sessionIdleHours: 2,
      sessionAbsoluteDays: 30,
      corsOrigins: ['https://shop.example.com', 'http://localhost:5173'],
      shutdownGraceMs: 2500,
      smtpUrl: 'smtps://mailer:pw@mail.example.com:465',
      mailFrom: 'Shop <shop@example.com>',
      instagramAppSecret: 'a0b1c2d3e4f5a6b7',
      instagramVerifyToken: 'verify-me-please',
    });
  });

  it('derives PUBLIC_URL from PORT when unset', () => {
    expect(valid({ PORT: '4000' }).publicUrl).toBe('http://localhost:4000');
  });

  it('treats empty variables as unset', () => {
    expect(valid({ PORT: '', DATABASE_URL: ' ', CORS_ORIGINS: '' })).toMatchObject({ port: 3000, databaseUrl: undefined, corsOrigins: [] });
  });

  it.each([
    ['true', true],
    ['yes', true],
    ['FALSE', false],
    ['off', false],
    ['0', false],
    ['1', 1],
    ['3', 3],
  ])('reads TRUST_PROXY=%s as %s (numbers are hop counts)', (raw, expected) => {
    expect(valid({ TRUST_PROXY: raw }).trustProxy).toBe(expected);
  });

  it.each([
    ['100', 100],
    ['2KB', 2048],
    ['1.5mb', 1.5 * 1024 * 1024],
    ['10 mb', 10 * 1024 * 1024],
  ])('reads BODY_LIMIT=%s as %i bytes', (raw, bytes) => {
    expect(valid({ BODY_LIMIT: raw }).bodyLimitBytes).toBe(bytes);
  });

  it('lists every bad variable at once, each with a reason', () => {
    const found = problems({
      PORT: 'eighty',
      PUBLIC_URL: 'shop.example.com',
      DATABASE_URL: 'mysql://root:topsecret@db/palette',
      TRUST_PROXY: 'maybe',
      LOG_LEVEL: 'loud',
      BODY_LIMIT: '1tb',
      SESSION_IDLE_HOURS: '-1',
      SESSION_ABSOLUTE_DAYS: '0',
      CORS_ORIGINS: 'https://ok.example,*,https://shop.example/path',
      SHUTDOWN_GRACE_MS: '1e4',
    });
    expect(Object.keys(found).sort()).toEqual(
      ['BODY_LIMIT', 'CORS_ORIGINS', 'DATABASE_URL', 'LOG_LEVEL', 'PORT', 'PUBLIC_URL', 'SESSION_ABSOLUTE_DAYS', 'SESSION_IDLE_HOURS', 'SHUTDOWN_GRACE_MS', 'TRUST_PROXY'].sort(),
    );
    expect(found['PORT']).toBe('must be an integer between 0 and 65535 (got "eighty")');
    expect(found['LOG_LEVEL']).toContain('must be one of fatal, error, warn, info, debug, trace, silent');
    expect(found['CORS_ORIGINS']).toContain('"*" is not an origin');
  });

  it('reports each bad origin of CORS_ORIGINS, on one line', () => {
    expect(problems({ CORS_ORIGINS: 'https://ok.example,*,https://shop.example/path' })).toEqual({
      CORS_ORIGINS:
        '"*" is not an origin: write scheme://host[:port] with no path, and no wildcard; ' +
        '"https://shop.example/path" is not an origin: write scheme://host[:port] with no path, and no wildcard ' +
        '(got "https://ok.example,*,https://shop.example/path")',
    });
  });

  it('rejects ports out of range and an idle timeout longer than the absolute one', () => {
    expect(problems({ PORT: '70000' })).toHaveProperty('PORT');
    expect(problems({ SESSION_IDLE_HOURS: '48', SESSION_ABSOLUTE_DAYS: '1' })).toEqual({ SESSION_IDLE_HOURS: 'must not exceed SESSION_ABSOLUTE_DAYS × 24 (24)' });
  });

  it('checks SMTP_URL and MAIL_FROM, and never echoes the SMTP URL, which carries a password', () => {
    expect(valid({ SMTP_URL: 'smtp://localhost:2525' }).smtpUrl).toBe('smtp://localhost:2525');
    expect(valid({ MAIL_FROM: 'no-reply@shop.example' }).mailFrom).toBe('no-reply@shop.example');
    const found = problems({ SMTP_URL: 'https://user:topsecret@mail.example.com', MAIL_FROM: 'Shop <shop@example.com>\r\nBcc: x@evil.example' });
    expect(Object.keys(found).sort()).toEqual(['MAIL_FROM', 'SMTP_URL']);
    expect(found['SMTP_URL']).not.toContain('topsecret');
    expect(problems({ MAIL_FROM: 'not an address' })).toHaveProperty('MAIL_FROM');
  });

  it('never echoes the database URL, which carries a password', () => {
    const result = loadConfig({ DATABASE_URL: 'mysql://root:topsecret@db/palette', PORT: 'x' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const text = formatConfigError(result.error);
    expect(text).not.toContain('topsecret');
    expect(text).toContain('DATABASE_URL: must be a postgres:// or postgresql:// URL');
    expect(text.split('\n')).toEqual([
      'Palette cannot start: some environment variables are invalid.',
      '  PORT: must be an integer between 0 and 65535 (got "x")',
      '  DATABASE_URL: must be a postgres:// or postgresql:// URL',
    ]);
  });
});
