import { Migration } from '@mikro-orm/migrations';

/**
 * The foundation schema. Constraints repeat the domain's invariants (stock never negative,
 * reserved ≤ on hand, one mid per account, SKUs unique per workspace) because MikroORM loads rows
 * without running constructors: a corrupt row must be impossible, not merely unlikely.
 */
export class Migration20261129000001_foundation extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create table workspaces (
  id uuid primary key,
  name text not null,
  timezone text not null,
  default_currency char(3) not null,
  business_profile jsonb,
  retention jsonb not null default '{}',
  created_at timestamptz not null,
  updated_at timestamptz not null,
  version integer not null default 1
);

create table users (
  id uuid primary key,
  name text not null,
  email text not null,
  password_hash text not null,
  preferences jsonb not null default '{}',
  created_at timestamptz not null,
  updated_at timestamptz not null,
  erased_at timestamptz,
  version integer not null default 1,
  constraint users_email_unique unique (email)
);

create table memberships (
  id uuid primary key,
  workspace_id uuid not null references workspaces (id) on delete cascade deferrable initially deferred,
  user_id uuid not null references users (id) on delete cascade deferrable initially deferred,
  role text not null check (role in ('owner', 'admin', 'agent', 'analyst')),
  created_at timestamptz not null,
  updated_at timestamptz not null,
  version integer not null default 1,
  constraint memberships_workspace_user_unique unique (workspace_id, user_id)
);
create index memberships_user_idx on memberships (user_id);

create table secrets (
  id uuid primary key,
  workspace_id uuid not null references workspaces (id) on delete cascade deferrable initially deferred,
  purpose text not null,
  key_id text not null,
  ciphertext text not null,
  aad text not null,
  created_at timestamptz not null
);
create index secrets_key_id_idx on secrets (key_id);

create table instagram_accounts (
  id uuid primary key,
  workspace_id uuid not null references workspaces (id) on delete cascade deferrable initially deferred,
  ig_user_id text not null,
  username text not null,
  account_type text not null,
  status text not null check (status in ('connected', 'token_expired', 'revoked', 'disconnected')),
  granted_scopes jsonb not null,
  token_ref uuid,
  token_issued_at timestamptz,
  token_expires_at timestamptz,
  status_reason text,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  version integer not null default 1,
  constraint instagram_accounts_ig_user_unique unique (ig_user_id)
);
create index instagram_accounts_workspace_idx on instagram_accounts (workspace_id);
create index instagram_accounts_refresh_idx on instagram_accounts (token_expires_at) where status = 'connected';

create table contacts (
  id uuid primary key,
  workspace_id uuid not null references workspaces (id) on delete cascade deferrable initially deferred,
  account_id uuid not null references instagram_accounts (id) on delete cascade deferrable initially deferred,
  igsid text,
  username text,
  display_name text,
  restrictions jsonb not null,
  consent_ledger jsonb not null default '[]',
  last_interaction_at timestamptz not null,
  anonymized_at timestamptz,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  version integer not null default 1
);
create unique index contacts_account_igsid_unique on contacts (account_id, igsid) where igsid is not null;
create index contacts_workspace_idx on contacts (workspace_id);

create table conversations (
  id uuid primary key,
  workspace_id uuid not null references workspaces (id) on delete cascade deferrable initially deferred,
  account_id uuid not null references instagram_accounts (id) on delete cascade deferrable initially deferred,
  contact_id uuid not null references contacts (id) on delete cascade deferrable initially deferred,
  entry_point text not null,
  owner text not null check (owner in ('assistant', 'human', 'paused')),
  last_customer_message_at timestamptz,
  last_interaction_at timestamptz not null,
  handoff_requested_at timestamptz,
  unread_count integer not null default 0 check (unread_count >= 0),
  created_at timestamptz not null,
  updated_at timestamptz not null,
  version integer not null default 1,
  constraint conversations_account_contact_unique unique (account_id, contact_id)
);
create index conversations_inactive_idx on conversations (workspace_id, last_interaction_at, id);

create table messages (
  id uuid primary key,
  workspace_id uuid not null references workspaces (id) on delete cascade deferrable initially deferred,
  account_id uuid not null references instagram_accounts (id) on delete cascade deferrable initially deferred,
  conversation_id uuid not null references conversations (id) on delete cascade deferrable initially deferred,
  contact_id uuid not null references contacts (id) on delete cascade deferrable initially deferred,
  direction text not null check (direction in ('inbound', 'outbound')),
  author_kind text not null,
  platform_message_id text,
  text text,
  attachments jsonb not null default '[]',
  reply_to text,
  reactions jsonb not null default '[]',
  delivery_state text not null,
  hold_reason text,
  tag text,
  sent_at timestamptz not null,
  edited_at timestamptz,
  deleted_at timestamptz,
  created_at timestamptz not null,
  version integer not null default 1
);
create unique index messages_account_platform_id_unique on messages (account_id, platform_message_id) where platform_message_id is not null;
create index messages_conversation_idx on messages (conversation_id, sent_at, id);

create table products (
  id uuid primary key,
  workspace_id uuid not null references workspaces (id) on delete cascade deferrable initially deferred,
  sku text not null,
  name text not null,
  description text not null default '',
  status text not null check (status in ('active', 'archived')),
  image_urls jsonb not null default '[]',
  created_at timestamptz not null,
  updated_at timestamptz not null,
  version integer not null default 1,
  constraint products_workspace_sku_unique unique (workspace_id, sku)
);

create table variants (
  id uuid primary key,
  workspace_id uuid not null references workspaces (id) on delete cascade deferrable initially deferred,
  product_id uuid not null references products (id) on delete cascade deferrable initially deferred,
  sku text not null,
  title text not null,
  price_amount_minor bigint not null check (price_amount_minor >= 0),
  price_currency char(3) not null,
  active boolean not null default true,
  low_stock_threshold integer not null default 0 check (low_stock_threshold >= 0),
  created_at timestamptz not null,
  updated_at timestamptz not null,
  version integer not null default 1,
  constraint variants_workspace_sku_unique unique (workspace_id, sku)
);
create index variants_product_idx on variants (product_id);

create table stock_levels (
  variant_id uuid primary key references variants (id) on delete cascade deferrable initially deferred,
  workspace_id uuid not null references workspaces (id) on delete cascade deferrable initially deferred,
  on_hand integer not null,
  reserved integer not null,
  updated_at timestamptz not null,
  version integer not null default 1,
  constraint stock_levels_reserved_range check (reserved >= 0 and reserved <= on_hand)
);

create table stock_movements (
  id uuid primary key,
  workspace_id uuid not null references workspaces (id) on delete cascade deferrable initially deferred,
  variant_id uuid not null references variants (id) on delete cascade deferrable initially deferred,
  kind text not null check (kind in ('adjustment', 'import', 'reservation', 'release', 'shipment', 'return')),
  on_hand_delta integer not null,
  reserved_delta integer not null,
  order_id uuid,
  reason text,
  actor jsonb not null,
  at timestamptz not null
);
create index stock_movements_variant_idx on stock_movements (workspace_id, variant_id, at, id);

create table orders (
  id uuid primary key,
  workspace_id uuid not null references workspaces (id) on delete cascade deferrable initially deferred,
  source text not null check (source in ('chat', 'dashboard', 'api')),
  contact_id uuid references contacts (id) on delete set null deferrable initially deferred,
  conversation_id uuid references conversations (id) on delete set null deferrable initially deferred,
  customer_name text,
  shipping_address jsonb,
  status text not null check (status in ('draft', 'confirmed', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded')),
  lines jsonb not null,
  currency char(3) not null,
  subtotal_amount_minor bigint not null,
  subtotal_currency char(3) not null,
  shipping_amount_minor bigint not null,
  shipping_currency char(3) not null,
  discount_amount_minor bigint not null,
  discount_currency char(3) not null,
  total_amount_minor bigint not null check (total_amount_minor >= 0),
  total_currency char(3) not null,
  history jsonb not null,
  notes text,
  hold_expires_at timestamptz,
  completed_at timestamptz,
  anonymized_at timestamptz,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  version integer not null default 1
);
create index orders_workspace_status_idx on orders (workspace_id, status, created_at);
create index orders_contact_idx on orders (contact_id) where contact_id is not null;
create index orders_anonymization_idx on orders (workspace_id, completed_at) where anonymized_at is null;
create index orders_hold_idx on orders (hold_expires_at) where hold_expires_at is not null;

create table data_subject_requests (
  id uuid primary key,
  workspace_id uuid references workspaces (id) on delete cascade deferrable initially deferred,
  subject jsonb not null,
  type text not null,
  requested_by uuid,
  requested_at timestamptz not null,
  status text not null,
  completed_at timestamptz,
  receipt_id uuid,
  outcome text,
  version integer not null default 1
);
create index data_subject_requests_workspace_idx on data_subject_requests (workspace_id, requested_at);

create table privacy_receipts (
  id uuid primary key,
  workspace_id uuid references workspaces (id) on delete cascade deferrable initially deferred,
  kind text not null check (kind in ('erasure', 'revocation', 'retention')),
  policy text not null,
  counts jsonb not null,
  digest text not null,
  created_at timestamptz not null
);
create index privacy_receipts_workspace_idx on privacy_receipts (workspace_id, created_at);

create table audit_entries (
  id uuid primary key,
  workspace_id uuid references workspaces (id) on delete cascade deferrable initially deferred,
  actor jsonb not null,
  actor_id text,
  action text not null,
  target_type text,
  target_id text,
  at timestamptz not null,
  request_id text,
  details jsonb not null default '{}'
);
create index audit_entries_workspace_idx on audit_entries (workspace_id, at desc, id);
create index audit_entries_at_idx on audit_entries (at);

create table daily_metrics (
  workspace_id uuid not null references workspaces (id) on delete cascade deferrable initially deferred,
  day date not null,
  metric text not null,
  dimension text not null,
  count bigint not null,
  sum bigint not null,
  primary key (workspace_id, day, metric, dimension)
);
`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists daily_metrics, audit_entries, privacy_receipts, data_subject_requests, orders, stock_movements, stock_levels,
      variants, products, messages, conversations, contacts, instagram_accounts, secrets, memberships, users, workspaces cascade;`);
  }
}
