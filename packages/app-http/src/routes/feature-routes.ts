import type { Container } from 'inversify';
import type { RouteTable } from '../http/route.js';

/**
 * Every feature's routes, in one list: the app mounts it, OpenAPI documents it and the route-walk
 * tests iterate it. A feature adds `src/routes/<feature>.route.ts` exporting
 * `<feature>Routes(container)` and spreads it here. Handlers resolve their use case from the
 * container inside the handler, so each request gets its own unit of work.
 */
export function featureRoutes(_container: Container): RouteTable {
  return [];
}
