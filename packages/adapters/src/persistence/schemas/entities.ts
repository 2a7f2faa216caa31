import { BigIntType, EntitySchema } from '@mikro-orm/core';
import {
  Contact, Conversation, DataSubjectRequest, InstagramAccount, Invitation, Membership, Message, Money, Order, Product, Session, StockLevel, User, Variant, Workspace,
} from '@palette/domain';
import { ConsentLedgerType, OrderHistoryType, OrderLinesType, PlainJsonType, ReactionsType } from './types.js';

// Aggregates keep TS-private state in `_field`s; each maps to a plain column name. The schemas are
// typed loosely on purpose (style.md §2.7): the contract suite's round-trips are the safety net.
/* eslint-disable @typescript-eslint/no-explicit-any */
type Props = Record<string, any>;
const uuid = (fieldName?: string, extra: Props = {}) => ({ type: 'uuid', ...(fieldName ? { fieldName } : {}), ...extra });
const text = (fieldName: string, extra: Props = {}) => ({ type: 'text', fieldName, ...extra });
const ts = (fieldName: string, extra: Props = {}) => ({ type: 'datetime', columnType: 'timestamptz', fieldName, ...extra });
const json = (fieldName: string, type: unknown = PlainJsonType, extra: Props = {}) => ({ type, columnType: 'jsonb', fieldName, ...extra });
const int = (fieldName: string, extra: Props = {}) => ({ type: 'integer', fieldName, ...extra });
const version = { version: { type: 'integer', version: true } };
const money = (prefix: string) => ({ kind: 'embedded', entity: 'Money', prefix, prefixMode: 'absolute' });

function schema(def: { class: unknown; tableName: string; properties: Props; indexes?: any[]; uniques?: any[]; primaryKey?: string }): EntitySchema<any> {
  return new EntitySchema<any>({ ...(def as any) });
}

export const MoneySchema = new EntitySchema<any>({
  class: Money as any,
  embeddable: true,
  properties: {
    amountMinor: { type: new BigIntType('number'), fieldName: 'amount_minor' },
    currency: { type: 'string', length: 3, fieldName: 'currency' },
  },
});

export const WorkspaceSchema = schema({
  class: Workspace, tableName: 'workspaces',
  properties: {
    id: uuid(undefined, { primary: true }), _name: text('name'), _timezone: text('timezone'), _defaultCurrency: text('default_currency'),
    _businessProfile: json('business_profile', PlainJsonType, { nullable: true }), _retention: json('retention'),
    createdAt: ts('created_at'), _updatedAt: ts('updated_at'), ...version,
  },
});

export const UserSchema = schema({
  class: User, tableName: 'users',
  properties: {
    id: uuid(undefined, { primary: true }), _name: text('name'), _email: text('email', { unique: 'users_email_unique' }), _passwordHash: text('password_hash'),
    _preferences: json('preferences'), createdAt: ts('created_at'), _updatedAt: ts('updated_at'), _erasedAt: ts('erased_at', { nullable: true }), ...version,
  },
});

export const MembershipSchema = schema({
  class: Membership, tableName: 'memberships',
  properties: {
    id: uuid(undefined, { primary: true }), workspaceId: uuid('workspace_id'), userId: uuid('user_id'), _role: text('role'),
    createdAt: ts('created_at'), _updatedAt: ts('updated_at'), ...version,
  },
});

export const InstagramAccountSchema = schema({
  class: InstagramAccount, tableName: 'instagram_accounts',
  properties: {
    id: uuid(undefined, { primary: true }), workspaceId: uuid('workspace_id'), igUserId: text('ig_user_id'), _username: text('username'),
    _accountType: text('account_type'), _status: text('status'), _grantedScopes: json('granted_scopes'), _tokenRef: uuid('token_ref', { nullable: true }),
    _tokenIssuedAt: ts('token_issued_at', { nullable: true }), _tokenExpiresAt: ts('token_expires_at', { nullable: true }),
    _statusReason: text('status_reason', { nullable: true }), createdAt: ts('created_at'), _updatedAt: ts('updated_at'), ...version,
  },
});

export const ContactSchema = schema({
  class: Contact, tableName: 'contacts',
  properties: {
    id: uuid(undefined, { primary: true }), workspaceId: uuid('workspace_id'), accountId: uuid('account_id'), _igsid: text('igsid', { nullable: true }),
    _username: text('username', { nullable: true }), _displayName: text('display_name', { nullable: true }), _restrictions: json('restrictions'),
    _consent: json('consent_ledger', ConsentLedgerType), _lastInteractionAt: ts('last_interaction_at'), _anonymizedAt: ts('anonymized_at', { nullable: true }),
    createdAt: ts('created_at'), _updatedAt: ts('updated_at'), ...version,
  },
});

export const ConversationSchema = schema({
  class: Conversation, tableName: 'conversations',
  properties: {
    id: uuid(undefined, { primary: true }), workspaceId: uuid('workspace_id'), accountId: uuid('account_id'), contactId: uuid('contact_id'),
    entryPoint: text('entry_point'), _owner: text('owner'), _lastCustomerMessageAt: ts('last_customer_message_at', { nullable: true }),
    _lastInteractionAt: ts('last_interaction_at'), _handoffRequestedAt: ts('handoff_requested_at', { nullable: true }), _unreadCount: int('unread_count'),
    createdAt: ts('created_at'), _updatedAt: ts('updated_at'), ...version,
  },
});

export const MessageSchema = schema({
  class: Message, tableName: 'messages',
  properties: {
    id: uuid(undefined, { primary: true }), workspaceId: uuid('workspace_id'), accountId: uuid('account_id'), conversationId: uuid('conversation_id'),
    contactId: uuid('contact_id'), direction: text('direction'), authorKind: text('author_kind'), _platformMessageId: text('platform_message_id', { nullable: true }),
    _text: text('text', { nullable: true }), _attachments: json('attachments'), _replyTo: text('reply_to', { nullable: true }), _reactions: json('reactions', ReactionsType),
    _deliveryState: text('delivery_state'), _holdReason: text('hold_reason', { nullable: true }), _tag: text('tag', { nullable: true }), sentAt: ts('sent_at'),
    _sendingSince: ts('sending_since', { nullable: true }),
    _editedAt: ts('edited_at', { nullable: true }), _deletedAt: ts('deleted_at', { nullable: true }), createdAt: ts('created_at'), ...version,
  },
});

export const ProductSchema = schema({
  class: Product, tableName: 'products',
  properties: {
    id: uuid(undefined, { primary: true }), workspaceId: uuid('workspace_id'), _sku: text('sku'), _name: text('name'), _description: text('description'),
    _status: text('status'), _imageUrls: json('image_urls'), createdAt: ts('created_at'), _updatedAt: ts('updated_at'), ...version,
  },
});

export const VariantSchema = schema({
  class: Variant, tableName: 'variants',
  properties: {
    id: uuid(undefined, { primary: true }), workspaceId: uuid('workspace_id'), productId: uuid('product_id'), _sku: text('sku'), _title: text('title'),
    _price: money('price_'), _active: { type: 'boolean', fieldName: 'active' }, _lowStockThreshold: int('low_stock_threshold'),
    createdAt: ts('created_at'), _updatedAt: ts('updated_at'), ...version,
  },
});

export const StockLevelSchema = schema({
  class: StockLevel, tableName: 'stock_levels',
  properties: {
    variantId: uuid('variant_id', { primary: true }), workspaceId: uuid('workspace_id'), _onHand: int('on_hand'), _reserved: int('reserved'),
    _updatedAt: ts('updated_at'), ...version,
  },
});

export const OrderSchema = schema({
  class: Order, tableName: 'orders',
  properties: {
    id: uuid(undefined, { primary: true }), workspaceId: uuid('workspace_id'), source: text('source'), _contactId: uuid('contact_id', { nullable: true }),
    _conversationId: uuid('conversation_id', { nullable: true }), _customerName: text('customer_name', { nullable: true }),
    _shippingAddress: json('shipping_address', PlainJsonType, { nullable: true }), _status: text('status'), _lines: json('lines', OrderLinesType),
    _currency: text('currency'), _subtotal: money('subtotal_'), _shipping: money('shipping_'), _discount: money('discount_'), _total: money('total_'),
    _history: json('history', OrderHistoryType), _notes: text('notes', { nullable: true }), _holdExpiresAt: ts('hold_expires_at', { nullable: true }),
    _notification: json('notification', PlainJsonType, { nullable: true }),
    _completedAt: ts('completed_at', { nullable: true }), _anonymizedAt: ts('anonymized_at', { nullable: true }), createdAt: ts('created_at'), _updatedAt: ts('updated_at'), ...version,
  },
});

export const DataSubjectRequestSchema = schema({
  class: DataSubjectRequest, tableName: 'data_subject_requests',
  properties: {
    id: uuid(undefined, { primary: true }), workspaceId: uuid('workspace_id', { nullable: true }), subject: json('subject'), type: text('type'),
    requestedBy: uuid('requested_by', { nullable: true }), requestedAt: ts('requested_at'), _status: text('status'), _completedAt: ts('completed_at', { nullable: true }),
    _receiptId: uuid('receipt_id', { nullable: true }), _outcome: text('outcome', { nullable: true }), ...version,
  },
});

export const SessionSchema = schema({
  class: Session, tableName: 'sessions',
  properties: {
    id: { type: 'text', primary: true, fieldName: 'token_hash' }, userId: uuid('user_id'), createdAt: ts('created_at'), _lastSeenAt: ts('last_seen_at'),
    _idleExpiresAt: ts('idle_expires_at'), absoluteExpiresAt: ts('absolute_expires_at'), _revokedAt: ts('revoked_at', { nullable: true }), ...version,
  },
});

export const InvitationSchema = schema({
  class: Invitation, tableName: 'invitations',
  properties: {
    id: uuid(undefined, { primary: true }), workspaceId: uuid('workspace_id'), email: text('email'), role: text('role'), tokenHash: text('token_hash'),
    invitedBy: uuid('invited_by'), createdAt: ts('created_at'), expiresAt: ts('expires_at'), _acceptedAt: ts('accepted_at', { nullable: true }),
    _revokedAt: ts('revoked_at', { nullable: true }), ...version,
  },
});

/** Every mapped class, in the order MikroORM discovers them. */
export const entities = [
  MoneySchema, WorkspaceSchema, UserSchema, MembershipSchema, InstagramAccountSchema, ContactSchema, ConversationSchema, MessageSchema,
  ProductSchema, VariantSchema, StockLevelSchema, OrderSchema, DataSubjectRequestSchema, SessionSchema, InvitationSchema,
];
