import type { OrderId, WorkspaceId } from '../shared/ids.js';
import type { Order } from './order.js';

export interface OrderRepository {
  get(workspaceId: WorkspaceId, id: OrderId): Promise<Order | null>;
  save(order: Order): Promise<void>;
  /** Retention: finished orders whose anchor is at or before `cutoff` and not yet anonymised. */
  listDueForAnonymization(workspaceId: WorkspaceId, cutoff: Date, limit: number): Promise<Order[]>;
}
