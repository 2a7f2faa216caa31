import type { Container } from 'inversify';
import { jobsRoutes } from './jobs.route.js';
import type { RouteTable } from '../http/route.js';
import { authRoutes } from './auth.route.js';
import { meRoutes } from './me.route.js';
import { workspaceRoutes } from './workspaces.route.js';
import { teamRoutes } from './team.route.js';
import { auditRoutes } from './audit.route.js';
import { instagramWebhookRoutes } from './instagram-webhooks.route.js';
import { instagramCallbackRoutes } from './instagram-callbacks.route.js';
import { instagramRoutes } from './instagram.route.js';
import { reportsRoutes } from './reports.route.js';
import { privacyRoutes } from './privacy.route.js';
import { contactsRoutes } from './contacts.route.js';
import { assistantRoutes } from './assistant.route.js';
import { automationsRoutes } from './automations.route.js';
import { catalogRoutes } from './catalog.route.js';
import { inventoryRoutes } from './inventory.route.js';
import { ordersRoutes } from './orders.route.js';
import { conversationsRoutes } from './conversations.route.js';
import { sandboxRoutes } from './sandbox.route.js';

/**
 * Every feature's routes, in one list: the app mounts it, OpenAPI documents it and the route-walk
 * tests iterate it. A feature adds `src/routes/<feature>.route.ts` exporting
 * `<feature>Routes(container)` and spreads it here. Handlers resolve their use case from the
 * container inside the handler, so each request gets its own unit of work.
 */
export function featureRoutes(_container: Container): RouteTable {
  return [...authRoutes(_container), ...meRoutes(_container), ...workspaceRoutes(_container), ...teamRoutes(_container), ...auditRoutes(_container), ...jobsRoutes(_container), ...instagramWebhookRoutes(_container), ...instagramCallbackRoutes(_container), ...instagramRoutes(_container), ...reportsRoutes(_container), ...privacyRoutes(_container), ...contactsRoutes(_container), ...catalogRoutes(_container), ...inventoryRoutes(_container), ...ordersRoutes(_container), ...assistantRoutes(_container), ...automationsRoutes(_container), ...conversationsRoutes(_container), ...sandboxRoutes(_container)];
}
