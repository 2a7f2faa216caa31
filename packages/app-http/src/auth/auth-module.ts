import { ContainerModule, type Container } from 'inversify';
import {
  ConfirmPasswordReset, DEFAULT_LOGIN_THROTTLE, LogIn, ManageAccount, ManageSessions, RequestPasswordReset,
  type AuthPolicy, type AuthRecords, type LoginThrottlePolicy, type Mailer, type UnitOfWork,
} from '@palette/domain';
import { createInMemoryAuthRecords, InMemoryDatabase } from '@palette/domain/in-memory';
import { createMikroOrmAuthRecords, MikroOrmSession } from '@palette/adapters/persistence';
import { OutboxMailer, SmtpMailer, type MailLog } from '@palette/adapters/mail';
import { randomToken } from '@palette/adapters/system';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { TOKENS } from '../tokens.js';
import { SessionAuthenticator } from './session-authenticator.js';

export type AuthConfig = Pick<Config, 'publicUrl' | 'corsOrigins' | 'sessionIdleHours' | 'sessionAbsoluteDays' | 'smtpUrl' | 'mailFrom'>;

export interface AuthModuleOptions {
  readonly throttle?: LoginThrottlePolicy;
  /** Replaces the mailer chosen from the config (tests). */
  readonly mailer?: Mailer;
}

export function authPolicy(config: AuthConfig, throttle: LoginThrottlePolicy = DEFAULT_LOGIN_THROTTLE): AuthPolicy {
  return {
    session: { idleMs: config.sessionIdleHours * 3600_000, absoluteMs: config.sessionAbsoluteDays * 24 * 3600_000 },
    throttle,
  };
}

/** The record stores join whichever repositories they are resolved with. */
export function authRecordsFor(uow: UnitOfWork): AuthRecords {
  if (uow instanceof MikroOrmSession) return createMikroOrmAuthRecords(uow);
  if (uow instanceof InMemoryDatabase) return createInMemoryAuthRecords(uow);
  throw new TypeError('No auth record stores for this kind of repositories');
}

export function mailLog(logger: Logger): MailLog {
  return (fields, message) => logger.info({ mail: fields }, message);
}

/** SMTP when SMTP_URL is set; null means "the outbox of the request's unit of work". */
export function smtpMailerFor(config: AuthConfig, logger: Logger): SmtpMailer | null {
  return config.smtpUrl === undefined ? null : new SmtpMailer({ url: config.smtpUrl, from: config.mailFrom, log: mailLog(logger) });
}

/**
 * Sessions, sign-in, password reset, account self-service and mail. Needs the system, crypto and a
 * persistence module loaded beside it.
 */
export function authModule(config: AuthConfig, logger: Logger, options: AuthModuleOptions = {}): ContainerModule {
  const smtp = options.mailer ?? smtpMailerFor(config, logger);
  const resetLink = (token: string) => `${config.publicUrl}/reset-password#token=${encodeURIComponent(token)}`;
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.AuthPolicy).toConstantValue(authPolicy(config, options.throttle));
    bind(TOKENS.SecretTokens).toConstantValue({ next: () => randomToken() });
    bind(TOKENS.AuthRecords).toResolvedValue((repos) => authRecordsFor(repos.uow), [TOKENS.Repositories]).inRequestScope();
    bind(TOKENS.Mailer).toResolvedValue(
      (records, ids, clock) => smtp ?? new OutboxMailer({ outbox: records.outbox, ids, clock, log: mailLog(logger) }),
      [TOKENS.AuthRecords, TOKENS.Ids, TOKENS.Clock],
    ).inRequestScope();

    bind(TOKENS.ManageSessions).toResolvedValue(
      (repos, clock, ids, digest, tokens, policy) => new ManageSessions({ ...repos, clock, ids, digest, tokens, sessionPolicy: policy.session }),
      [TOKENS.Repositories, TOKENS.Clock, TOKENS.Ids, TOKENS.Digest, TOKENS.SecretTokens, TOKENS.AuthPolicy],
    ).inRequestScope();

    // One unknown-email hash per process, made on first use with the configured KDF cost.
    let dummyHash: Promise<string> | undefined;
    bind(TOKENS.LogIn).toResolvedValue(
      (repos, records, sessions, hasher, clock, ids, digest, policy) => new LogIn({
        ...repos, throttle: records.throttle, sessions, hasher, clock, ids, digest, throttlePolicy: policy.throttle,
        dummyHash: () => (dummyHash ??= hasher.hash(randomToken())),
      }),
      [TOKENS.Repositories, TOKENS.AuthRecords, TOKENS.ManageSessions, TOKENS.PasswordHasher, TOKENS.Clock, TOKENS.Ids, TOKENS.Digest, TOKENS.AuthPolicy],
    );
    bind(TOKENS.RequestPasswordReset).toResolvedValue(
      (repos, records, mailer, clock, ids, digest, tokens) => new RequestPasswordReset({ ...repos, resetTokens: records.resetTokens, mailer, clock, ids, digest, tokens, resetLink }),
      [TOKENS.Repositories, TOKENS.AuthRecords, TOKENS.Mailer, TOKENS.Clock, TOKENS.Ids, TOKENS.Digest, TOKENS.SecretTokens],
    );
    bind(TOKENS.ConfirmPasswordReset).toResolvedValue(
      (repos, records, hasher, clock, ids, digest) => new ConfirmPasswordReset({ ...repos, resetTokens: records.resetTokens, hasher, clock, ids, digest }),
      [TOKENS.Repositories, TOKENS.AuthRecords, TOKENS.PasswordHasher, TOKENS.Clock, TOKENS.Ids, TOKENS.Digest],
    );
    bind(TOKENS.ManageAccount).toResolvedValue(
      (repos, hasher, clock, ids) => new ManageAccount({ ...repos, hasher, clock, ids }),
      [TOKENS.Repositories, TOKENS.PasswordHasher, TOKENS.Clock, TOKENS.Ids],
    );
  });
}

/** Built from the container so each request resolves its own unit of work. */
export function sessionAuthenticator(container: Container, config: AuthConfig): SessionAuthenticator {
  return new SessionAuthenticator({
    sessions: () => container.get(TOKENS.ManageSessions),
    memberships: () => container.get(TOKENS.Repositories).memberships,
    origins: { publicUrl: config.publicUrl, corsOrigins: config.corsOrigins },
  });
}
