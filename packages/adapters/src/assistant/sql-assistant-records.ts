import {
  aiAuditExport, Ids,
  type AiAuditRecord, type AssistantRecords, type AssistantSettings, type AutomationRule, type ContactId, type ConversationId, type InstagramAccountId,
  type LlmProvider, type MessageId, type UnitOfWork, type WelcomeSettings, type WorkspaceId,
} from '@palette/domain';
import { MikroOrmSession } from '../persistence/mikro-orm-repositories.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Row = Record<string, any>;

const json = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v);
const date = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));
const int = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

const AUDIT_COLUMNS = `id, workspace_id, conversation_id, message_id, reply_message_id, outcome, reason, provider, model, latency_ms, input_tokens, output_tokens, tool_calls, checks, redactions, at`;

function auditOf(r: Row): AiAuditRecord {
  return {
    id: r.id, workspaceId: Ids.workspace(r.workspace_id), conversationId: Ids.conversation(r.conversation_id), messageId: Ids.message(r.message_id),
    replyMessageId: r.reply_message_id ? Ids.message(r.reply_message_id) : null, outcome: r.outcome, reason: r.reason ?? null, provider: r.provider, model: r.model,
    latencyMs: Number(r.latency_ms), inputTokens: int(r.input_tokens), outputTokens: int(r.output_tokens),
    toolCalls: json(r.tool_calls) as AiAuditRecord['toolCalls'], checks: json(r.checks) as AiAuditRecord['checks'], redactions: json(r.redactions) as AiAuditRecord['redactions'], at: date(r.at),
  };
}

function ruleOf(r: Row): AutomationRule {
  return {
    id: r.id, workspaceId: Ids.workspace(r.workspace_id), name: r.name, enabled: Boolean(r.enabled), trigger: r.trigger,
    matcher: (json(r.matcher) ?? null) as AutomationRule['matcher'], postId: r.post_id ?? null, action: json(r.action) as AutomationRule['action'],
    priority: Number(r.priority), createdAt: date(r.created_at), updatedAt: date(r.updated_at),
  };
}

/**
 * The assistant's and automations' records over PostgreSQL/PGlite, as SQL inside the unit of work
 * of a `createMikroOrmRepositories` set (plain records, no aggregates to track).
 */
export class SqlAssistantRecords implements AssistantRecords {
  constructor(private readonly s: MikroOrmSession) {}

  // AiAuditLog
  async append(r: AiAuditRecord): Promise<void> {
    await this.s.execute(
      `insert into ai_audit_records (${AUDIT_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb, ?)
       on conflict (workspace_id, message_id) do nothing`,
      [r.id, r.workspaceId, r.conversationId, r.messageId, r.replyMessageId, r.outcome, r.reason, r.provider, r.model, Math.round(r.latencyMs), r.inputTokens, r.outputTokens,
        JSON.stringify(r.toolCalls), JSON.stringify(r.checks), JSON.stringify(r.redactions), r.at], 'run');
  }

  async findByMessage(ws: WorkspaceId, messageId: MessageId): Promise<AiAuditRecord | null> {
    const rows = await this.s.execute<Row[]>(`select ${AUDIT_COLUMNS} from ai_audit_records where workspace_id = ? and message_id = ?`, [ws, messageId]);
    return rows[0] ? auditOf(rows[0]) : null;
  }

  async listByConversation(ws: WorkspaceId, conversationId: ConversationId, limit: number): Promise<AiAuditRecord[]> {
    const rows = await this.s.execute<Row[]>(
      `select ${AUDIT_COLUMNS} from ai_audit_records where workspace_id = ? and conversation_id = ? order by at desc, id desc limit ?`, [ws, conversationId, limit]);
    return rows.map(auditOf);
  }

  async deleteOlderThan(cutoff: Date, limit: number): Promise<number> {
    const rows = await this.s.execute<Row[]>(
      `delete from ai_audit_records where id in (select id from ai_audit_records where at <= ? order by at limit ?) returning id`, [cutoff, limit]);
    return rows.length;
  }

  // AiDecisionRecords
  async deleteForConversations(ws: WorkspaceId, conversationIds: readonly ConversationId[]): Promise<string[]> {
    if (conversationIds.length === 0) return [];
    const rows = await this.s.execute<Row[]>(
      `delete from ai_audit_records where workspace_id = ? and conversation_id in (${conversationIds.map(() => '?').join(', ')}) returning id`, [ws, ...conversationIds]);
    return rows.map((r) => String(r.id)).sort();
  }

  async deleteForContact(ws: WorkspaceId, contactId: ContactId): Promise<string[]> {
    const rows = await this.s.execute<Row[]>(
      `delete from ai_audit_records where workspace_id = ? and conversation_id in (select id from conversations where workspace_id = ? and contact_id = ?) returning id`, [ws, ws, contactId]);
    return rows.map((r) => String(r.id)).sort();
  }

  async listForContact(ws: WorkspaceId, contactId: ContactId): Promise<Array<Readonly<Record<string, unknown>>>> {
    const rows = await this.s.execute<Row[]>(
      `select ${AUDIT_COLUMNS.split(', ').map((c) => `a.${c}`).join(', ')} from ai_audit_records a join conversations c on c.id = a.conversation_id
       where a.workspace_id = ? and c.workspace_id = ? and c.contact_id = ? order by a.at, a.id`, [ws, ws, contactId]);
    return rows.map((r) => aiAuditExport(auditOf(r)));
  }

  // AssistantSettingsRepository
  async get(ws: WorkspaceId): Promise<AssistantSettings | null> {
    const rows = await this.s.execute<Row[]>(
      `select workspace_id, enabled, provider, model, base_url, api_key_secret_id, restore_personal_data, timeout_ms, updated_at from assistant_settings where workspace_id = ?`, [ws]);
    const r = rows[0];
    if (!r) return null;
    return {
      workspaceId: Ids.workspace(r.workspace_id), enabled: Boolean(r.enabled), provider: r.provider as LlmProvider, model: r.model ?? null, baseUrl: r.base_url ?? null,
      apiKeyRef: r.api_key_secret_id ? Ids.secret(r.api_key_secret_id) : null,
      restorePersonalData: Boolean(r.restore_personal_data), timeoutMs: Number(r.timeout_ms), updatedAt: date(r.updated_at),
    };
  }

  async save(x: AssistantSettings): Promise<void> {
    await this.s.execute(
      `insert into assistant_settings (workspace_id, enabled, provider, model, base_url, api_key_secret_id, restore_personal_data, timeout_ms, updated_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?)
       on conflict (workspace_id) do update set enabled = excluded.enabled, provider = excluded.provider, model = excluded.model, base_url = excluded.base_url,
         api_key_secret_id = excluded.api_key_secret_id, restore_personal_data = excluded.restore_personal_data,
         timeout_ms = excluded.timeout_ms, updated_at = excluded.updated_at`,
      [x.workspaceId, x.enabled, x.provider, x.model, x.baseUrl, x.apiKeyRef, x.restorePersonalData, x.timeoutMs, x.updatedAt], 'run');
  }

  // AutomationRuleRepository
  async listRules(ws: WorkspaceId): Promise<AutomationRule[]> {
    const rows = await this.s.execute<Row[]>(`select * from automation_rules where workspace_id = ? order by priority, created_at, id`, [ws]);
    return rows.map(ruleOf);
  }

  async getRule(ws: WorkspaceId, id: string): Promise<AutomationRule | null> {
    if (!UUID.test(id)) return null;
    const rows = await this.s.execute<Row[]>(`select * from automation_rules where workspace_id = ? and id = ?`, [ws, id]);
    return rows[0] ? ruleOf(rows[0]) : null;
  }

  async saveRule(r: AutomationRule): Promise<void> {
    // The update is scoped to the workspace: a rule id from another workspace changes nothing.
    const rows = await this.s.execute<Row[]>(
      `insert into automation_rules (id, workspace_id, name, enabled, trigger, matcher, post_id, action, priority, created_at, updated_at)
       values (?, ?, ?, ?, ?, ?::jsonb, ?, ?::jsonb, ?, ?, ?)
       on conflict (id) do update set name = excluded.name, enabled = excluded.enabled, trigger = excluded.trigger, matcher = excluded.matcher,
         post_id = excluded.post_id, action = excluded.action, priority = excluded.priority, updated_at = excluded.updated_at
       where automation_rules.workspace_id = excluded.workspace_id
       returning id`,
      [r.id, r.workspaceId, r.name, r.enabled, r.trigger, r.matcher === null ? null : JSON.stringify(r.matcher), r.postId, JSON.stringify(r.action), r.priority, r.createdAt, r.updatedAt]);
    if (rows.length === 0) throw new Error('automation rule id belongs to another workspace');
  }

  async deleteRule(ws: WorkspaceId, id: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    const rows = await this.s.execute<Row[]>(`delete from automation_rules where workspace_id = ? and id = ? returning id`, [ws, id]);
    return rows.length > 0;
  }

  async getWelcome(ws: WorkspaceId): Promise<WelcomeSettings | null> {
    const rows = await this.s.execute<Row[]>(`select * from automation_welcome where workspace_id = ?`, [ws]);
    const r = rows[0];
    return r ? { workspaceId: Ids.workspace(r.workspace_id), greetingEnabled: Boolean(r.greeting_enabled), greetingText: r.greeting_text, iceBreakers: json(r.ice_breakers) as string[], updatedAt: date(r.updated_at) } : null;
  }

  async saveWelcome(w: WelcomeSettings): Promise<void> {
    await this.s.execute(
      `insert into automation_welcome (workspace_id, greeting_enabled, greeting_text, ice_breakers, updated_at) values (?, ?, ?, ?::jsonb, ?)
       on conflict (workspace_id) do update set greeting_enabled = excluded.greeting_enabled, greeting_text = excluded.greeting_text,
         ice_breakers = excluded.ice_breakers, updated_at = excluded.updated_at`,
      [w.workspaceId, w.greetingEnabled, w.greetingText, JSON.stringify(w.iceBreakers), w.updatedAt], 'run');
  }

  // PrivateReplyLedger
  async claimPrivateReply(c: { workspaceId: WorkspaceId; accountId: InstagramAccountId; commentId: string; ruleId: string; at: Date }): Promise<boolean> {
    const rows = await this.s.execute<Row[]>(
      `insert into automation_private_replies (account_id, comment_id, workspace_id, rule_id, at) values (?, ?, ?, ?, ?) on conflict (account_id, comment_id) do nothing returning comment_id`,
      [c.accountId, c.commentId, c.workspaceId, UUID.test(c.ruleId) ? c.ruleId : null, c.at]);
    return rows.length > 0;
  }

  async hasPrivateReply(ws: WorkspaceId, accountId: InstagramAccountId, commentId: string): Promise<boolean> {
    const rows = await this.s.execute<Row[]>(`select 1 from automation_private_replies where workspace_id = ? and account_id = ? and comment_id = ?`, [ws, accountId, commentId]);
    return rows.length > 0;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createSqlAssistantRecords(uow: UnitOfWork): SqlAssistantRecords {
  if (!(uow instanceof MikroOrmSession)) throw new TypeError('createSqlAssistantRecords needs the unit of work of createMikroOrmRepositories');
  return new SqlAssistantRecords(uow);
}
