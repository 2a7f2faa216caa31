import type { ServiceIdentifier } from 'inversify';
import type { FailedJobs } from './jobs/failed-jobs.js';
import type { JobQueue, RequestLog } from '@palette/domain';
import type { InstagramHttpDeps } from './routes/instagram.route.js';
import type { SandboxPort } from './routes/sandbox-port.js';
import type { Clock, Digest, IdGenerator, ManageTeam, PasswordHasher, RegisterAccount, Repositories, WorkspaceFactoryOptions } from '@palette/domain';
import type { AuthPolicy, AuthRecords, ConfirmPasswordReset, LogIn, Mailer, ManageAccount, ManageSessions, RequestPasswordReset, SecretTokenGenerator } from '@palette/domain';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import type { WorkspaceServices } from './workspace-services.js';

/**
 * Every binding of the HTTP app's container. `Symbol.for` keeps a token equal across module
 * instances (tsx and vitest can load a file twice); the cast carries the bound type, so a factory
 * given the wrong token fails to compile.
 */
export const TOKENS = {
  FailedJobs: Symbol.for('palette.FailedJobs') as ServiceIdentifier<FailedJobs>,
  Config: Symbol.for('palette.Config') as ServiceIdentifier<Config>,
  Logger: Symbol.for('palette.Logger') as ServiceIdentifier<Logger>,
  Clock: Symbol.for('palette.Clock') as ServiceIdentifier<Clock>,
  Ids: Symbol.for('palette.Ids') as ServiceIdentifier<IdGenerator>,
  PasswordHasher: Symbol.for('palette.PasswordHasher') as ServiceIdentifier<PasswordHasher>,
  Digest: Symbol.for('palette.Digest') as ServiceIdentifier<Digest>,
  WorkspaceOptions: Symbol.for('palette.WorkspaceOptions') as ServiceIdentifier<WorkspaceFactoryOptions>,
  /** One unit of work per resolution graph (request scope): resolve use cases inside the handler. */
  Repositories: Symbol.for('palette.Repositories') as ServiceIdentifier<Repositories>,
  RegisterAccount: Symbol.for('palette.RegisterAccount') as ServiceIdentifier<RegisterAccount>,
  ManageTeam: Symbol.for('palette.ManageTeam') as ServiceIdentifier<ManageTeam>,
  /** Workspace, team and audit routes: one resolution, one unit of work (src/workspace-services.ts). */
  WorkspaceServices: Symbol.for('palette.WorkspaceServices') as ServiceIdentifier<WorkspaceServices>,
  // accounts and sessions (src/auth/auth-module.ts)
  AuthPolicy: Symbol.for('palette.AuthPolicy') as ServiceIdentifier<AuthPolicy>,
  SecretTokens: Symbol.for('palette.SecretTokens') as ServiceIdentifier<SecretTokenGenerator>,
  /** Request scope, over the same unit of work as `Repositories` in one resolution. */
  AuthRecords: Symbol.for('palette.AuthRecords') as ServiceIdentifier<AuthRecords>,
  /** The database outbox, or SMTP when SMTP_URL is set. */
  Mailer: Symbol.for('palette.Mailer') as ServiceIdentifier<Mailer>,
  ManageSessions: Symbol.for('palette.ManageSessions') as ServiceIdentifier<ManageSessions>,
  LogIn: Symbol.for('palette.LogIn') as ServiceIdentifier<LogIn>,
  RequestPasswordReset: Symbol.for('palette.RequestPasswordReset') as ServiceIdentifier<RequestPasswordReset>,
  ConfirmPasswordReset: Symbol.for('palette.ConfirmPasswordReset') as ServiceIdentifier<ConfirmPasswordReset>,
  ManageAccount: Symbol.for('palette.ManageAccount') as ServiceIdentifier<ManageAccount>,
  /** Optional: the producer side of the job queue (pg-boss). Unbound, webhook deliveries wait for the worker's sweep. */
  JobQueue: Symbol.for('palette.JobQueue') as ServiceIdentifier<JobQueue>,
  /** Instagram connect: Graph client, limiter and token cipher (src/routes/instagram.route.ts). Unbound, the connect routes answer 503. */
  Instagram: Symbol.for('palette.Instagram') as ServiceIdentifier<InstagramHttpDeps>,
  /** Optional: the in-process Instagram simulator (`npm start` sandbox mode). Unbound, the sandbox routes answer 404. */
  Sandbox: Symbol.for('palette.Sandbox') as ServiceIdentifier<SandboxPort>,
  /** The stored API request log (written by the request recorder, read by the audit routes). */
  RequestLog: Symbol.for('palette.RequestLog') as ServiceIdentifier<RequestLog>,
} as const;
