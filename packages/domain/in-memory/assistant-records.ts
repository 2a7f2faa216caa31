import type { ContactId, ConversationId, InstagramAccountId, MessageId, WorkspaceId } from '../src/shared/ids.js';
import type { AiAuditRecord, AssistantRecords, AssistantSettings } from '../src/assistant/ports.js';
import type { AutomationRule, WelcomeSettings } from '../src/automations/rules.js';
import type { Conversation } from '../src/conversations/conversation.js';
import { aiAuditExport } from '../src/assistant/records.js';
import { InMemoryDatabase } from './database.js';

interface PrivateReplyRow { workspaceId: WorkspaceId; accountId: InstagramAccountId; commentId: string; ruleId: string; at: Date }

/**
 * Assistant settings, AI audit records, automation rules and private-reply claims as tables of the
 * in-memory database, so they take part in its unit of work like the SQL records do.
 */
export class InMemoryAssistantRecords implements AssistantRecords {
  constructor(private readonly db: InMemoryDatabase = new InMemoryDatabase()) {}

  /** Every stored audit record, for tests. */
  get auditRecords(): AiAuditRecord[] { return this.db.scan<AiAuditRecord>('ai_audit_records'); }

  // AiAuditLog
  async append(record: AiAuditRecord) {
    // One record per answered message, as the SQL unique key does.
    if (await this.findByMessage(record.workspaceId, record.messageId)) return;
    this.db.write('ai_audit_records', record.id, { ...record });
  }
  async findByMessage(ws: WorkspaceId, messageId: MessageId) {
    return this.db.scan<AiAuditRecord>('ai_audit_records', (r) => r.workspaceId === ws && r.messageId === messageId)[0] ?? null;
  }
  async listByConversation(ws: WorkspaceId, conversationId: ConversationId, limit: number) {
    return this.db.scan<AiAuditRecord>('ai_audit_records', (r) => r.workspaceId === ws && r.conversationId === conversationId)
      .sort((a, b) => b.at.getTime() - a.at.getTime() || b.id.localeCompare(a.id)).slice(0, limit);
  }
  async deleteOlderThan(cutoff: Date, limit: number) {
    const doomed = this.db.scan<AiAuditRecord>('ai_audit_records', (r) => r.at <= cutoff).sort((a, b) => a.at.getTime() - b.at.getTime()).slice(0, limit);
    for (const r of doomed) this.db.remove('ai_audit_records', r.id);
    return doomed.length;
  }

  // AiDecisionRecords (privacy: erasure, retention, export)
  async deleteForConversations(ws: WorkspaceId, conversationIds: readonly ConversationId[]) {
    const ids = new Set<string>(conversationIds);
    const doomed = this.db.scan<AiAuditRecord>('ai_audit_records', (r) => r.workspaceId === ws && ids.has(r.conversationId));
    for (const r of doomed) this.db.remove('ai_audit_records', r.id);
    return doomed.map((r) => r.id).sort();
  }
  async deleteForContact(ws: WorkspaceId, contactId: ContactId) {
    return this.deleteForConversations(ws, this.conversationsOf(ws, contactId));
  }
  async listForContact(ws: WorkspaceId, contactId: ContactId) {
    const ids = new Set<string>(this.conversationsOf(ws, contactId));
    return this.db.scan<AiAuditRecord>('ai_audit_records', (r) => r.workspaceId === ws && ids.has(r.conversationId))
      .sort((a, b) => a.at.getTime() - b.at.getTime() || a.id.localeCompare(b.id)).map(aiAuditExport);
  }
  private conversationsOf(ws: WorkspaceId, contactId: ContactId): ConversationId[] {
    return this.db.scan<Conversation>('conversations', (c) => c.workspaceId === ws && c.contactId === contactId).map((c) => c.id);
  }

  // AssistantSettingsRepository
  async get(ws: WorkspaceId) { return this.db.read<AssistantSettings>('assistant_settings', ws); }
  async save(s: AssistantSettings) { this.db.write('assistant_settings', s.workspaceId, { ...s }); }

  // AutomationRuleRepository
  async listRules(ws: WorkspaceId) {
    return this.db.scan<AutomationRule>('automation_rules', (r) => r.workspaceId === ws)
      .sort((a, b) => a.priority - b.priority || a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
  }
  async getRule(ws: WorkspaceId, id: string) { const r = this.db.read<AutomationRule>('automation_rules', id); return r && r.workspaceId === ws ? r : null; }
  async saveRule(rule: AutomationRule) {
    const existing = this.db.read<AutomationRule>('automation_rules', rule.id);
    if (existing && existing.workspaceId !== rule.workspaceId) throw new Error('automation rule id belongs to another workspace');
    this.db.write('automation_rules', rule.id, { ...rule });
  }
  async deleteRule(ws: WorkspaceId, id: string) {
    if (!(await this.getRule(ws, id))) return false;
    this.db.remove('automation_rules', id);
    return true;
  }
  async getWelcome(ws: WorkspaceId) { return this.db.read<WelcomeSettings>('automation_welcome', ws); }
  async saveWelcome(w: WelcomeSettings) { this.db.write('automation_welcome', w.workspaceId, { ...w }); }

  // PrivateReplyLedger
  async claimPrivateReply(claim: PrivateReplyRow) {
    const key = `${claim.accountId}:${claim.commentId}`;
    if (this.db.read<PrivateReplyRow>('automation_private_replies', key)) return false;
    this.db.write('automation_private_replies', key, { ...claim });
    return true;
  }
  async hasPrivateReply(ws: WorkspaceId, accountId: InstagramAccountId, commentId: string) {
    const row = this.db.read<PrivateReplyRow>('automation_private_replies', `${accountId}:${commentId}`);
    return row !== null && row.workspaceId === ws;
  }
}
