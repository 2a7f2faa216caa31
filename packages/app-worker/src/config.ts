import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Everything the worker process reads from its environment, parsed once at start. */
export interface WorkerConfig {
  /** PostgreSQL when set; otherwise the embedded PGlite under `dataDir`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly logLevel: LogLevel;
  /** 0 disables the /metrics endpoint. */
  readonly metricsPort: number;
  readonly metricsHost: string;
  /** How long SIGTERM waits for jobs in flight before the process exits anyway. */
  readonly shutdownGraceMs: number;
}

const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be an integer between ${min} and ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be an integer between ${min} and ${max}`).max(max, `must be an integer between ${min} and ${max}`));

const schema = z.object({
  DATABASE_URL: z
    .string()
    .refine((value) => /^postgres(ql)?:\/\/./.test(value), 'must be a postgres:// or postgresql:// URL')
    .optional(),
  PALETTE_DATA_DIR: z.string().min(1).default('./.palette'),
  LOG_LEVEL: z
    .string()
    .transform((value) => value.trim().toLowerCase())
    .pipe(z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }))
    .default('info'),
  WORKER_METRICS_PORT: integer(0, 65_535).default(9464),
  WORKER_METRICS_HOST: z.string().trim().min(1).default('127.0.0.1'),
  SHUTDOWN_GRACE_MS: integer(0, 600_000).default(10_000),
});

export type LoadedConfig = { ok: true; value: WorkerConfig } | { ok: false; problems: string[] };

/** Pure: reads only `env`. Every bad variable is listed at once; DATABASE_URL's value is never echoed. */
export function loadWorkerConfig(env: Readonly<Record<string, string | undefined>>): LoadedConfig {
  // `VAR=` in a compose file means "not set", not "invalid".
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.map((issue) => `${String(issue.path[0] ?? 'environment')}: ${issue.message}`) };
  }
  const v = parsed.data;
  return {
    ok: true,
    value: {
      databaseUrl: v.DATABASE_URL,
      dataDir: v.PALETTE_DATA_DIR,
      logLevel: v.LOG_LEVEL,
      metricsPort: v.WORKER_METRICS_PORT,
      metricsHost: v.WORKER_METRICS_HOST,
      shutdownGraceMs: v.SHUTDOWN_GRACE_MS,
    },
  };
}
