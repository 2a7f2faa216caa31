import { err, ok } from '@palette/domain';
import type { Result } from '@palette/domain';
import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Everything the HTTP service reads from its environment, parsed once at start. */
export interface Config {
  readonly port: number;
  readonly host: string;
  /** Absolute http(s) URL without a trailing slash: what merchants and Meta reach us at. */
  readonly publicUrl: string;
  /** PostgreSQL when set; otherwise the embedded PGlite under `dataDir`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  /** Express `trust proxy`: a hop count, or true/false. */
  readonly trustProxy: boolean | number;
  readonly logLevel: LogLevel;
  readonly bodyLimitBytes: number;
  readonly sessionIdleHours: number;
  readonly sessionAbsoluteDays: number;
  /** Exact origins (`scheme://host[:port]`) allowed cross-origin; empty means closed. */
  readonly corsOrigins: readonly string[];
  readonly shutdownGraceMs: number;
  /** Outgoing mail through this SMTP server; unset, mail goes to the database outbox. */
  readonly smtpUrl: string | undefined;
  /** The From header of every mail. */
  readonly mailFrom: string;
  /** Instagram App Secret: signs webhooks (X-Hub-Signature-256) and Meta's signed_request callbacks. */
  readonly instagramAppSecret: string;
  /** The token Meta's webhook verification GET must present. */
  readonly instagramVerifyToken: string;
}

export interface ConfigProblem {
  readonly variable: string;
  readonly message: string;
}

export type ConfigError = { readonly kind: 'InvalidEnvironment'; readonly problems: readonly ConfigProblem[] };

export type Environment = Readonly<Record<string, string | undefined>>;

/** Values that may carry credentials are never echoed back in error messages. */
const SECRET_VARIABLES = new Set(['DATABASE_URL', 'SMTP_URL', 'INSTAGRAM_APP_SECRET', 'INSTAGRAM_VERIFY_TOKEN']);

const BODY_LIMIT_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };
const MAX_BODY_LIMIT = 100 * 1024 ** 2;

const integer = (min: number, max: number, what: string) =>
  z
    .string()
    .regex(/^\d+$/, `must be ${what}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be ${what}`).max(max, `must be ${what}`));

const httpUrl = (what: string) =>
  z.string().refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
    } catch {
      return false;
    }
  }, `must be ${what}`);

const schema = z.object({
  PORT: integer(0, 65_535, 'an integer between 0 and 65535').default(3000),
  HOST: z.string().trim().min(1, 'must not be blank').default('127.0.0.1'),
  PUBLIC_URL: httpUrl('an absolute http:// or https:// URL').optional(),
  DATABASE_URL: z
    .string()
    .refine((value) => /^postgres(ql)?:\/\/./.test(value), 'must be a postgres:// or postgresql:// URL')
    .optional(),
  PALETTE_DATA_DIR: z.string().min(1).default('./.palette'),
  TRUST_PROXY: z
    .string()
    .transform((value, ctx) => {
      const normalized = value.trim().toLowerCase();
      if (['true', 'yes', 'on'].includes(normalized)) return true;
      if (['false', 'no', 'off'].includes(normalized)) return false;
      // A bare number is a hop count, not a boolean: "1" trusts one proxy, not every address.
      if (/^\d+$/.test(normalized) && Number(normalized) <= 32) return Number(normalized) === 0 ? false : Number(normalized);
      ctx.addIssue({ code: 'custom', message: 'must be true, false or a hop count between 0 and 32' });
      return z.NEVER;
    })
    .default(false),
  LOG_LEVEL: z
    .string()
    .transform((value) => value.trim().toLowerCase())
    .pipe(z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }))
    .default('info'),
  BODY_LIMIT: z
    .string()
    .transform((value, ctx) => {
      const match = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(value.trim());
      const bytes = match ? Math.floor(Number(match[1]) * (BODY_LIMIT_UNITS[(match[2] ?? 'b').toLowerCase()] ?? 1)) : NaN;
      if (!(bytes >= 1 && bytes <= MAX_BODY_LIMIT)) {
        ctx.addIssue({ code: 'custom', message: 'must be a size such as 512kb or 1mb, between 1b and 100mb' });
        return z.NEVER;
      }
      return bytes;
    })
    .default(1024 ** 2),
  SESSION_IDLE_HOURS: integer(1, 24 * 366, 'a whole number of hours, at least 1').default(12),
  SESSION_ABSOLUTE_DAYS: integer(1, 366, 'a whole number of days between 1 and 366').default(14),
  CORS_ORIGINS: z
    .string()
    .transform((value, ctx) => {
      const origins = value.split(',').map((o) => o.trim()).filter((o) => o !== '');
      for (const origin of origins) {
        if (!isOrigin(origin)) {
          ctx.addIssue({ code: 'custom', message: `"${origin}" is not an origin: write scheme://host[:port] with no path, and no wildcard` });
        }
      }
      return origins;
    })
    .default([]),
  SHUTDOWN_GRACE_MS: integer(0, 600_000, 'a number of milliseconds between 0 and 600000').default(10_000),
  SMTP_URL: z
    .string()
    .refine((value) => {
      try {
        const url = new URL(value);
        return (url.protocol === 'smtp:' || url.protocol === 'smtps:') && url.hostname !== '';
      } catch {
        return false;
      }
    }, 'must be an smtp:// or smtps:// URL (smtps://user:password@mail.example.com:465)')
    .optional(),
  MAIL_FROM: z
    .string()
    .trim()
    // A bare address or `Name <address>`; no line breaks, which would let a value inject headers.
    .regex(/^(?:[^<>\r\n]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/, 'must be an address or "Name <address>"')
    .default('Palette <no-reply@localhost>'),
  // Sandbox defaults match the Graph API simulator (`npm run simulator`); a real app must set both.
  INSTAGRAM_APP_SECRET: z.string().trim().min(8, 'must be at least 8 characters').default('sim-app-secret'),
  INSTAGRAM_VERIFY_TOKEN: z.string().trim().min(8, 'must be at least 8 characters').default('sim-verify-token'),
});

function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}

/**
 * Parses the environment into a typed config, or lists every bad variable at once so an operator
 * fixes them in one go. Pure: reads only `env`.
 */
export function loadConfig(env: Environment): Result<Config, ConfigError> {
  // `PORT=` in a compose file or a .env means "not set", not "invalid".
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    // One line per variable, even when it has several faults (two bad CORS origins).
    const messages = new Map<string, string[]>();
    for (const issue of parsed.error.issues) {
      const variable = String(issue.path[0] ?? 'environment');
      messages.set(variable, [...(messages.get(variable) ?? []), issue.message]);
    }
    const problems = [...messages].map(([variable, reasons]) => {
      const value = env[variable];
      const echo = value !== undefined && !SECRET_VARIABLES.has(variable) ? ` (got "${value}")` : '';
      return { variable, message: `${reasons.join('; ')}${echo}` };
    });
    return err({ kind: 'InvalidEnvironment', problems });
  }

  const v = parsed.data;
  if (v.SESSION_IDLE_HOURS > v.SESSION_ABSOLUTE_DAYS * 24) {
    return err({
      kind: 'InvalidEnvironment',
      problems: [{ variable: 'SESSION_IDLE_HOURS', message: `must not exceed SESSION_ABSOLUTE_DAYS × 24 (${v.SESSION_ABSOLUTE_DAYS * 24})` }],
    });
  }
  return ok({
    port: v.PORT,
    host: v.HOST,
    publicUrl: (v.PUBLIC_URL ?? `http://localhost:${v.PORT}`).replace(/\/+$/, ''),
    databaseUrl: v.DATABASE_URL,
    dataDir: v.PALETTE_DATA_DIR,
    trustProxy: v.TRUST_PROXY,
    logLevel: v.LOG_LEVEL,
    bodyLimitBytes: v.BODY_LIMIT,
    sessionIdleHours: v.SESSION_IDLE_HOURS,
    sessionAbsoluteDays: v.SESSION_ABSOLUTE_DAYS,
    corsOrigins: v.CORS_ORIGINS,
    shutdownGraceMs: v.SHUTDOWN_GRACE_MS,
    smtpUrl: v.SMTP_URL,
    mailFrom: v.MAIL_FROM,
    instagramAppSecret: v.INSTAGRAM_APP_SECRET,
    instagramVerifyToken: v.INSTAGRAM_VERIFY_TOKEN,
  });
}

/** The message an operator sees on stderr: one line per bad variable, no stack trace. */
export function formatConfigError(error: ConfigError): string {
  const lines = error.problems.map((p) => `  ${p.variable}: ${p.message}`);
  return [`Palette cannot start: ${error.problems.length === 1 ? 'an environment variable is' : 'some environment variables are'} invalid.`, ...lines].join('\n');
}
