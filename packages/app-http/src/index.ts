// The public API of @palette/app-http: what other packages and tests build on. No side effects.
export { loadConfig, formatConfigError, LOG_LEVELS, type Config, type ConfigError, type ConfigProblem, type Environment, type LogLevel } from './config.js';
export { createLogger, REDACTED_PATHS, type Logger, type LoggerOptions } from './logger.js';
export { TOKENS } from './tokens.js';
export { buildContainer, systemModule, type ContainerInputs } from './composition-root.js';
export { createApp, type AppConfig, type AppDeps, type PaletteApp } from './http/app.js';
export { startServer, shutdownGracefully, type RunningServer, type ServerConfig, type ShutdownHook, type ShutdownOptions, type ShutdownOutcome, type ProcessLike } from './server.js';
export { defineRoute, automaticProblems, openApiPath, pathParameterNames, HTTP_METHODS, type HttpMethod, type RouteAuth, type RouteContext, type RouteDefinition, type RouteHandler, type RouteReply, type RouteSpec, type RouteTable, type ResponseSpec, type ResponseSpecs } from './http/route.js';
export { mountRoutes, assertUniqueRoutes, ResponseContractError, JSON_MEDIA_TYPES } from './http/mount-routes.js';
export { validateParams, validateQuery, validateBody, fieldErrors, type InputPart } from './http/validate.js';
export { HttpProblem, PROBLEM_TYPES, PROBLEM_SLUGS, PROBLEM_CONTENT_TYPE, problemTypeUri, ProblemSchema, type FieldError, type ProblemDocument, type ProblemOptions, type ProblemSlug } from './http/problem.js';
export { openApiDocument, type OpenApiDocument, type OpenApiOperation, type OpenApiParameter, type OpenApiInfo } from './http/openapi.js';
export { SESSION_COOKIE_NAME, SECURE_SESSION_COOKIE_NAME, type Authenticator, type Principal, type UserPrincipal } from './http/auth.js';
export type { ReadinessCheck, ReadinessChecks, CheckStatus } from './http/operational.js';
export type { RateLimitOptions } from './http/rate-limit.js';
export { startHttpService, announce, runMain } from './start-http.js';
export { InMemoryFailedJobs, jobsModule, type FailedJob, type FailedJobs } from './jobs/failed-jobs.js';
export { simulatorSandbox, type SandboxPort, type SandboxAction, type SandboxCustomer, type SandboxSend, type SandboxMessage } from './routes/sandbox-port.js';
