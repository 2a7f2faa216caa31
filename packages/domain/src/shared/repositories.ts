import type { UnitOfWork } from './ports.js';
import type { InvitationRepository, MembershipRepository, SessionRepository, UserRepository, WorkspaceRepository } from '../accounts/ports.js';
import type { InstagramAccountRepository, SecretRepository } from '../instagram/ports.js';
import type { ContactRepository } from '../contacts/ports.js';
import type { ConversationRepository, MessageRepository } from '../conversations/ports.js';
import type { ProductRepository, StockRepository, VariantRepository } from '../catalog/ports.js';
import type { OrderRepository } from '../orders/ports.js';
import type { DataSubjectRequestRepository, ReceiptRepository } from '../privacy/ports.js';
import type { AuditLog } from '../audit/ports.js';
import type { ContactFactsRepository, DailyMetricsRepository } from '../reports/ports.js';

/**
 * Every repository over ONE unit of work. Adapters hand out a fresh set per request or job
 * (in memory: one shared store; MikroORM: one EntityManager fork), so use cases built from one
 * set commit together.
 */
export interface Repositories {
  uow: UnitOfWork;
  workspaces: WorkspaceRepository; users: UserRepository; memberships: MembershipRepository; sessions: SessionRepository; invitations: InvitationRepository;
  accounts: InstagramAccountRepository; secrets: SecretRepository; contacts: ContactRepository; conversations: ConversationRepository; messages: MessageRepository;
  products: ProductRepository; variants: VariantRepository; stock: StockRepository; orders: OrderRepository;
  requests: DataSubjectRequestRepository; receipts: ReceiptRepository; audit: AuditLog; metrics: DailyMetricsRepository;
  contactFacts: ContactFactsRepository;
}
