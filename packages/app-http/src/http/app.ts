import express from 'express';
import type { Express, Request } from 'express';
import type { Registry } from 'prom-client';
import manifest from '../../package.json' with { type: 'json' };
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Authenticator } from './auth.js';
import { cors } from './cors.js';
import { renderDocsPage } from './docs-page.js';
import { apiDocsRoutes } from './docs-routes.js';
import { errorHandler, notFoundHandler } from './errors.js';
import { requestLogging } from './logging.js';
import type { RequestRecorder } from './request-log.js';
import { createHttpMetrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import type { OpenApiDocument } from './openapi.js';
import { operationalRoutes } from './operational.js';
import type { ReadinessChecks } from './operational.js';
import { DEFAULT_RATE_LIMIT, perIpRateLimit, perSessionRateLimit } from './rate-limit.js';
import type { RateLimitOptions } from './rate-limit.js';
import { requestId } from './request-id.js';
import { JSON_MEDIA_TYPES, mountRoutes, RAW_BODY } from './mount-routes.js';
import type { RouteTable } from './route.js';
import { securityHeaders } from './security-headers.js';
import { webApp } from './web-app.js';

export type AppConfig = Pick<Config, 'bodyLimitBytes' | 'corsOrigins' | 'trustProxy' | 'publicUrl'>;

export interface AppDeps {
  readonly config: AppConfig;
  readonly logger: Logger;
  /** Feature routes (built with defineRoute); the operational and documentation routes are added. */
  readonly routes?: RouteTable;
  /** Readiness checks by name (`database`, `queue`); /readyz is 503 while any is not ok. */
  readonly checks?: ReadinessChecks;
  readonly checkTimeoutMs?: number;
  /** Absent until sessions exist: then every `auth: 'session'` route answers 401. */
  readonly authenticator?: Authenticator;
  readonly rateLimit?: RateLimitOptions | false;
  /** Process metrics (CPU, heap, event loop) on /metrics; tests building many apps may turn them off. */
  readonly defaultMetrics?: boolean;
  /** Feature gauges and counters on the same /metrics (collected at scrape time). */
  readonly registerMetrics?: (registry: Registry) => void;
  /** The built dashboard's folder; app-web's dist/ when absent. */
  readonly webRoot?: string;
  /** Stores every API request (who, route pattern, status, when) for the audit; absent, only stdout has them. */
  readonly requestRecorder?: RequestRecorder;
}

/** The Express app, plus the table it serves and the document describing it. */
export interface PaletteApp extends Express {
  readonly routeTable: RouteTable;
  readonly openApi: OpenApiDocument;
}

const DEFAULT_CHECK_TIMEOUT_MS = 2_000;

export function createApp(deps: AppDeps): PaletteApp {
  const { config, logger } = deps;
  const app = express();
  app.set('trust proxy', config.trustProxy);
  // Flat key=value queries only: the "extended" parser builds nested objects from brackets.
  app.set('query parser', 'simple');
  app.disable('x-powered-by');

  const metrics = createHttpMetrics({ defaultMetrics: deps.defaultMetrics ?? true });
  deps.registerMetrics?.(metrics.registry);
  const routeTable: RouteTable = [
    ...operationalRoutes({ checks: deps.checks ?? {}, checkTimeoutMs: deps.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS, registry: metrics.registry, logger }),
    ...apiDocsRoutes(() => docs),
    ...(deps.routes ?? []),
  ];
  // Built now rather than on first request, so a schema that cannot be documented fails at start.
  const document = openApiDocument(routeTable, {
    title: 'Palette',
    version: manifest.version,
    description: 'The HTTP API of a self-hosted Palette: merchants selling over Instagram Direct Messages.',
    serverUrl: config.publicUrl,
  });
  const docs = { document, html: renderDocsPage(document) };

  app.use(requestId());
  app.use(metrics.middleware);
  app.use(requestLogging(logger));
  if (deps.requestRecorder) app.use(deps.requestRecorder.middleware);
  app.use(securityHeaders());
  app.use(cors(config.corsOrigins));
  if (deps.rateLimit !== false) app.use(perIpRateLimit(deps.rateLimit ?? DEFAULT_RATE_LIMIT, logger), perSessionRateLimit(deps.rateLimit ?? DEFAULT_RATE_LIMIT, logger));

  const jsonOptions = { limit: config.bodyLimitBytes, type: JSON_MEDIA_TYPES, strict: true };
  const router = express.Router({ strict: false, caseSensitive: true });
  mountRoutes(router, routeTable, {
    authenticator: deps.authenticator,
    jsonParser: express.json(jsonOptions),
    rawParser: express.raw({ limit: config.bodyLimitBytes, type: JSON_MEDIA_TYPES }),
    formParser: express.urlencoded({ limit: config.bodyLimitBytes, extended: false, parameterLimit: 20 }),
    rawJsonParser: express.json({
      ...jsonOptions,
      verify: (req, _res, buffer) => {
        (req as Request & { [RAW_BODY]?: Buffer })[RAW_BODY] = buffer;
      },
    }),
  });
  app.use(router);
  // The dashboard's files and its client-side routes; /api, /webhooks and the probes never reach it.
  app.use(webApp(deps.webRoot));

  app.use(notFoundHandler());
  app.use(errorHandler(logger, config.bodyLimitBytes));

  return Object.assign(app, { routeTable, openApi: document });
}
