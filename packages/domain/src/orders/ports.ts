import type { ContactId, OrderId, WorkspaceId } from '../shared/ids.js';
import type { ListCursor } from '../catalog/ports.js';
import type { Order, OrderStatus } from './order.js';

export interface OrderListFilter {
  readonly status?: OrderStatus;
  readonly contactId?: ContactId;
  /** Created at or after. */
  readonly from?: Date;
  /** Created strictly before. */
  readonly to?: Date;
  readonly limit: number;
  /** Newest first by creation; continue strictly after (older than) this order. */
  readonly after?: ListCursor;
}

export interface OrderRepository {
  get(workspaceId: WorkspaceId, id: OrderId): Promise<Order | null>;
  save(order: Order): Promise<void>;
  /** Newest first (created_at desc, id desc). */
  list(workspaceId: WorkspaceId, filter: OrderListFilter): Promise<Order[]>;
  /** Drafts whose stock hold ran out at or before `cutoff`, oldest first, across workspaces (the expiry sweep). */
  listExpiredHolds(cutoff: Date, limit: number): Promise<Array<{ workspaceId: WorkspaceId; orderId: OrderId }>>;
  /** Retention: finished orders whose anchor is at or before `cutoff` and not yet anonymised. */
  listDueForAnonymization(workspaceId: WorkspaceId, cutoff: Date, limit: number): Promise<Order[]>;
}
