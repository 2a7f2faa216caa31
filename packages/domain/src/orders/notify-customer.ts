import type { Clock, UnitOfWork } from '../shared/ports.js';
import type { ConversationId, OrderId, WorkspaceId } from '../shared/ids.js';
import { notFound, type NotFound } from '../shared/errors.js';
import { err, ok, type Result } from '../shared/result.js';
import type { GateDecision } from '../conversations/send-gate.js';
import type { OutboundAuthor } from '../conversations/messaging-policy.js';
import type { OrderRepository } from './ports.js';
import type { Order, OrderNotification, OrderStatus } from './order.js';

/** The slice of QueueOutboundMessage this needs, so tests and the assistant can pass their own. */
export interface OutboundMessageQueue {
  execute(cmd: { workspaceId: WorkspaceId; conversationId: ConversationId; author: OutboundAuthor; text: string }):
    Promise<Result<{ message: { id: string }; decision: GateDecision }, { kind: string }>>;
}

const STATUS_TEXT: Readonly<Record<OrderStatus, string>> = {
  draft: 'is saved as a draft',
  confirmed: 'is confirmed',
  paid: 'is paid, thank you',
  shipped: 'has shipped',
  delivered: 'was delivered',
  cancelled: 'was cancelled',
  refunded: 'was refunded',
};

/** The DM text; the order's short reference is the last 6 characters of its id. */
export function notificationText(order: Order): string {
  return `Update on your order #${order.id.slice(-6).toUpperCase()}: it ${STATUS_TEXT[order.status]}.`;
}

/**
 * Tells the customer about the order's current status through QueueOutboundMessage, so the send
 * gate decides (author `notification`: outside the window it is held, not dropped), and records
 * the outcome on the order. Sending and later releasing held messages belong to the outbound sender.
 */
export class NotifyOrderCustomer {
  constructor(private readonly deps: { orders: OrderRepository; outbound: OutboundMessageQueue; uow: UnitOfWork; clock: Clock }) {}

  async execute(cmd: { workspaceId: WorkspaceId; orderId: OrderId }): Promise<Result<Order, NotFound>> {
    const { orders, outbound, uow, clock } = this.deps;
    const order = await orders.get(cmd.workspaceId, cmd.orderId);
    if (!order) return err(notFound('order', cmd.orderId));
    let notification: Omit<OrderNotification, 'at'>;
    if (!order.conversationId) {
      notification = { status: order.status, messageId: null, outcome: 'not_sent', reason: 'no_conversation' };
    } else {
      // Its own unit of work: the message and its send job commit even if recording fails below.
      const queued = await outbound.execute({ workspaceId: cmd.workspaceId, conversationId: order.conversationId, author: 'notification', text: notificationText(order) });
      if (!queued.ok) {
        notification = { status: order.status, messageId: null, outcome: 'not_sent', reason: 'conversation_unavailable' };
      } else {
        const d = queued.value.decision;
        notification = {
          status: order.status, messageId: queued.value.message.id,
          outcome: d.outcome === 'send' ? 'queued' : d.outcome === 'hold' ? 'held' : 'refused',
          reason: d.outcome === 'send' ? null : d.reason,
        };
      }
    }
    return uow.run(async () => {
      const fresh = await orders.get(cmd.workspaceId, cmd.orderId);
      if (!fresh) return err(notFound('order', cmd.orderId));
      fresh.recordNotification({ ...notification, at: clock.now().toISOString() });
      await orders.save(fresh);
      return ok(fresh);
    });
  }
}
