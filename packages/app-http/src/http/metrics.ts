import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** The route label for requests no route answered (404s, rate-limited, CORS preflights). */
export const UNMATCHED_ROUTE = 'unmatched';

export interface HttpMetrics {
  readonly registry: Registry;
  /** Records every response; the route label is the template a route stored in `res.locals.route`. */
  readonly middleware: RequestHandler;
}

/**
 * A Registry per app, not prom-client's global one: each test builds its own app, and two
 * registrations of `http_requests_total` on the global registry would throw.
 */
export function createHttpMetrics(options: { defaultMetrics?: boolean } = {}): HttpMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route template and status.',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from receiving a request to finishing its response, by method, route template and status.',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  const middleware: RequestHandler = (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      // Raw paths carry ids (/orders/0190…): labelling by them would grow one series per order.
      const route = typeof res.locals['route'] === 'string' ? res.locals['route'] : UNMATCHED_ROUTE;
      const labels = { method: req.method, route, status: String(res.statusCode) };
      requests.inc(labels);
      duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };

  return { registry, middleware };
}
