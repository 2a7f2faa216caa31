import { Migration } from '@mikro-orm/migrations';

/**
 * The assistant and automations: per-workspace assistant settings (the provider API key only as
 * TokenCipher ciphertext with its key id), one AI audit record per answered message (DM metadata:
 * removed with its conversation or message, and by the 30-day `ai_records` retention), keyword /
 * comment / story-mention rules, the greeting and ice breakers, and the one-per-comment claim of
 * comment-to-DM private replies.
 */
export class Migration20261129000010_assistant extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create table assistant_settings (
  workspace_id uuid primary key references workspaces (id) on delete cascade deferrable initially deferred,
  enabled boolean not null default true,
  provider text not null check (provider in ('offline', 'openai', 'openai_compatible', 'anthropic', 'ollama')),
  model text check (model is null or length(model) between 1 and 200),
  base_url text check (base_url is null or length(base_url) <= 500),
  api_key_ciphertext text,
  api_key_key_id text,
  restore_personal_data boolean not null default false,
  timeout_ms integer not null default 20000 check (timeout_ms between 1000 and 120000),
  updated_at timestamptz not null,
  constraint assistant_settings_key_pair check ((api_key_ciphertext is null) = (api_key_key_id is null))
);

create table ai_audit_records (
  id uuid primary key,
  workspace_id uuid not null references workspaces (id) on delete cascade deferrable initially deferred,
  conversation_id uuid not null references conversations (id) on delete cascade deferrable initially deferred,
  message_id uuid not null references messages (id) on delete cascade deferrable initially deferred,
  reply_message_id uuid,
  outcome text not null check (outcome in ('replied', 'handoff', 'fallback', 'automation', 'skipped')),
  reason text,
  provider text not null,
  model text not null,
  latency_ms integer not null check (latency_ms >= 0),
  input_tokens integer check (input_tokens >= 0),
  output_tokens integer check (output_tokens >= 0),
  tool_calls jsonb not null default '[]',
  checks jsonb not null default '[]',
  redactions jsonb not null default '{}',
  at timestamptz not null,
  -- One record per answered message: it is also what makes a retried assistant.reply job a no-op.
  constraint ai_audit_records_message_unique unique (workspace_id, message_id)
);
create index ai_audit_records_conversation_idx on ai_audit_records (workspace_id, conversation_id, at desc);
create index ai_audit_records_at_idx on ai_audit_records (at);

create table automation_rules (
  id uuid primary key,
  workspace_id uuid not null references workspaces (id) on delete cascade deferrable initially deferred,
  name text not null check (length(name) between 1 and 100),
  enabled boolean not null,
  trigger text not null check (trigger in ('dm_keyword', 'comment', 'story_mention')),
  matcher jsonb,
  post_id text,
  action jsonb not null,
  priority integer not null,
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create index automation_rules_workspace_idx on automation_rules (workspace_id, priority, created_at, id);

create table automation_welcome (
  workspace_id uuid primary key references workspaces (id) on delete cascade deferrable initially deferred,
  greeting_enabled boolean not null,
  greeting_text text not null check (length(greeting_text) <= 600),
  ice_breakers jsonb not null default '[]',
  updated_at timestamptz not null
);

create table automation_private_replies (
  account_id uuid not null references instagram_accounts (id) on delete cascade deferrable initially deferred,
  comment_id text not null,
  workspace_id uuid not null references workspaces (id) on delete cascade deferrable initially deferred,
  rule_id uuid,
  at timestamptz not null,
  primary key (account_id, comment_id)
);
create index automation_private_replies_at_idx on automation_private_replies (at);
`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists automation_private_replies cascade; drop table if exists automation_welcome cascade;
drop table if exists automation_rules cascade; drop table if exists ai_audit_records cascade; drop table if exists assistant_settings cascade;`);
  }
}
