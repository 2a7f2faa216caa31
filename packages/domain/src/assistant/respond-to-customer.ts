import type { Clock, IdGenerator, UnitOfWork } from '../shared/ports.js';
import type { ContactId, ConversationId, MessageId, WorkspaceId } from '../shared/ids.js';
import type { BusinessProfile } from '../accounts/workspace.js';
import type { Result } from '../shared/result.js';
import type { WorkspaceRepository } from '../accounts/ports.js';
import type { InstagramAccountRepository } from '../instagram/ports.js';
import type { ContactRepository } from '../contacts/ports.js';
import type { ConversationRepository, MessageRepository } from '../conversations/ports.js';
import type { Message } from '../conversations/message.js';
import type { OutboundAuthor } from '../conversations/messaging-policy.js';
import { shouldAskAssistant } from '../conversations/send-gate.js';
import { retentionCutoff } from '../privacy/retention-policy.js';
import type { AutomationRuleRepository } from '../automations/ports.js';
import { decideDmAutomation, greetingText } from '../automations/rules.js';
import type { AiAuditLog, AiCheck, AiOutcome, AiToolCallRecord, AssistantCatalog, AssistantEngine, AssistantEngineResolver, AssistantOrderDesk, AssistantSettingsRepository, EngineReply } from './ports.js';
import { ScopedToolbox } from './toolbox.js';
import type { DailyMetricsRepository } from '../reports/ports.js';
import { handoff as handoffMetrics, responderOf } from '../reports/metric-helpers.js';
import { checkFigures } from './figures.js';
import { minimise, restore } from './minimise.js';
import { detectLanguage, type Language } from './offline-assistant.js';

export const DEFAULT_ASSISTANT_TIMEOUT_MS = 20_000;
const HISTORY_LIMIT = 20;
const MAX_REPLY_CHARS = 2000;

export const HOLDING_REPLY: Readonly<Record<Language, string>> = {
  en: 'Thanks for your message! A member of our team will get back to you here shortly.',
  es: '¡Gracias por tu mensaje! Una persona de nuestro equipo te responderá aquí en breve.',
};

export type SkipReason =
  | 'message_not_found' | 'not_customer_message' | 'no_text' | 'not_found' | 'contact_restricted' | 'ai_objected'
  | 'conversation_owned_by_human' | 'conversation_paused' | 'window_closed' | 'already_handled' | 'superseded' | 'assistant_disabled';

export type RespondOutcome =
  | { readonly kind: 'skipped'; readonly reason: SkipReason }
  | { readonly kind: AiOutcome; readonly replyMessageId: MessageId | null; readonly auditId: string; readonly reason: string | null };

/** Thrown by an engine when the model keeps calling tools wrongly after being told once. */
export class MalformedToolCallError extends Error {
  constructor(message: string) { super(message); this.name = 'MalformedToolCallError'; }
}

interface OutboundPort {
  execute(cmd: { workspaceId: WorkspaceId; conversationId: ConversationId; author: OutboundAuthor; text: string }): Promise<Result<{ message: Message }, unknown>>;
}

export interface RespondToCustomerDeps {
  workspaces: WorkspaceRepository; accounts: InstagramAccountRepository; contacts: ContactRepository; conversations: ConversationRepository; messages: MessageRepository;
  aiAudit: AiAuditLog; assistantSettings: AssistantSettingsRepository; automations: AutomationRuleRepository;
  catalog: AssistantCatalog; orderDesk: AssistantOrderDesk; engines: AssistantEngineResolver;
  /** QueueOutboundMessage: every reply passes the one send gate. */
  outbound: OutboundPort;
  uow: UnitOfWork; clock: Clock; ids: IdGenerator; metrics: DailyMetricsRepository;
  /** Measures latency; defaults to the clock (tests with a fake clock then see 0 ms). */
  monotonicNow?: () => number;
}

interface Attempt { reply: EngineReply | null; error: string | null; toolbox: ScopedToolbox }

/**
 * Answers one inbound customer message: decides whether anything automated may answer at all,
 * runs the automations first, then the assistant with scoped tools, checks what it says, and
 * always ends with a reply or a handoff (a holding reply) and an audit record.
 */
export class RespondToCustomer {
  constructor(private readonly deps: RespondToCustomerDeps) {}

  async execute(cmd: { workspaceId: WorkspaceId; conversationId: ConversationId; messageId: MessageId }): Promise<RespondOutcome> {
    const d = this.deps;
    const skip = (reason: SkipReason): RespondOutcome => ({ kind: 'skipped', reason });
    const message = await d.messages.get(cmd.workspaceId, cmd.messageId);
    if (!message || message.conversationId !== cmd.conversationId) return skip('message_not_found');
    // Echoes, our own sends and agent messages are outbound: nothing automated answers them.
    if (message.direction !== 'inbound' || message.authorKind !== 'customer' || message.deletedAt) return skip('not_customer_message');
    const storyMention = message.attachments.some((a) => a.type === 'story_mention');
    const text = message.text?.trim() ?? '';
    if (text.length === 0 && !storyMention) return skip('no_text');
    // A retried or redelivered job: whatever happened since (a send failure, a closed window) is not a new turn.
    if (await d.aiAudit.findByMessage(cmd.workspaceId, message.id)) return skip('already_handled');

    const [conversation, workspace] = await Promise.all([d.conversations.get(cmd.workspaceId, cmd.conversationId), d.workspaces.get(cmd.workspaceId)]);
    if (!conversation || !workspace) return skip('not_found');
    const [contact, account] = await Promise.all([d.contacts.get(cmd.workspaceId, conversation.contactId), d.accounts.get(cmd.workspaceId, conversation.accountId)]);
    if (!contact || !account) return skip('not_found');
    // The contact's rights come first: nothing about them reaches a rule or a model.
    if (contact.restrictions.processingRestricted) return skip('contact_restricted');
    if (!contact.allowsAutomatedProcessing()) return skip('ai_objected');
    if (conversation.owner === 'human') return skip('conversation_owned_by_human');
    if (conversation.owner === 'paused') return skip('conversation_paused');
    const now = d.clock.now();
    if (!shouldAskAssistant({ conversation, contact, account, now })) return skip('window_closed');

    const history = await d.messages.listByConversation(cmd.workspaceId, conversation.id, { limit: HISTORY_LIMIT, newest: true });
    // A burst of messages is answered once, from the newest.
    if (history.some((m) => m.direction === 'inbound' && m.id !== message.id && m.sentAt > message.sentAt)) return skip('superseded');

    const settings = await d.assistantSettings.get(cmd.workspaceId);
    const lang = detectLanguage(text);
    const started = this.tick();

    if (!history.some((m) => m.direction === 'outbound')) {
      const greeting = greetingText(await d.automations.getWelcome(cmd.workspaceId), workspace.businessProfile?.storeName ?? workspace.name, lang);
      if (greeting) await d.outbound.execute({ workspaceId: cmd.workspaceId, conversationId: conversation.id, author: 'automation', text: greeting });
    }

    const automation = decideDmAutomation({ rules: await d.automations.listRules(cmd.workspaceId), text, isEcho: false, owner: conversation.owner, storyMention });
    if (automation) {
      const replyText = automation.action.text ?? (automation.action.kind === 'handoff' ? HOLDING_REPLY[lang] : null);
      const sent = replyText ? await d.outbound.execute({ workspaceId: cmd.workspaceId, conversationId: conversation.id, author: 'automation', text: replyText }) : null;
      if (automation.action.kind === 'handoff') await this.handOff(cmd.workspaceId, conversation.id);
      return this.audit({ cmd, outcome: 'automation', reason: `rule:${automation.rule.id}`, replyMessageId: sent?.ok ? sent.value.message.id : null, provider: 'automation', model: automation.rule.name, started, calls: [], checks: [], redactions: {} });
    }
    if (storyMention && text.length === 0) return skip('no_text');
    if (settings && !settings.enabled) return skip('assistant_disabled');

    // Context: what is still within retention, the contact's own orders, the business profile.
    const cutoff = retentionCutoff('messages', now, workspace.retention);
    const recent = history.filter((m) => m.sentAt > cutoff && m.text && !m.deletedAt && m.sentAt <= message.sentAt);
    const orders = await d.orderDesk.listForContact(cmd.workspaceId, contact.id, 5);
    let engine: AssistantEngine | null = null;
    let engineError: string | null = null;
    try { engine = await d.engines.engineFor(cmd.workspaceId); } catch (e) { engineError = `engine unavailable: ${errorText(e)}`; }

    const names = [contact.username, contact.displayName].filter((n): n is string => !!n);
    const min = engine?.external ? minimise(recent.map((m) => m.text ?? ''), names) : { texts: recent.map((m) => m.text ?? ''), mapping: new Map<string, string>(), counts: {} };
    const msgs = recent.map((m, i) => ({ author: m.direction === 'inbound' ? 'customer' as const : 'merchant' as const, text: min.texts[i]!, at: m.sentAt }));
    const profile = workspace.businessProfile;
    const otherSources = recent.filter((m) => m.direction === 'inbound').map((m) => m.text ?? '');
    const trustedTexts = profile ? [profile.openingHours, profile.shippingPolicy, profile.returnPolicy, ...profile.faq.map((f) => f.answer)] : [];
    const timeoutMs = settings?.timeoutMs ?? DEFAULT_ASSISTANT_TIMEOUT_MS;

    const calls: AiToolCallRecord[] = [];
    const checks: AiCheck[] = [{ name: 'personal_data_minimised', passed: true, detail: engine?.external ? `external provider: ${Object.values(min.counts).reduce((a, b) => a + b, 0)} placeholders` : 'local engine: nothing leaves the process' }];
    let usage: EngineReply['usage'];
    let final: { text: string; handoff: string | null } | null = null;
    let failure = engineError;
    let correction: string | null = null;

    for (let attempt = 0; engine && attempt < 2 && final === null && failure === null; attempt++) {
      const run = await this.attempt(engine, { ...cmd, contactId: contact.id }, { businessProfile: profile, messages: msgs, orders, correction }, timeoutMs);
      calls.push(...run.toolbox.calls);
      if (run.error !== null) { failure = run.error; break; }
      usage = run.reply!.usage ?? usage;
      const raw = run.reply!.text.trim();
      const validOutput = raw.length > 0 && raw.length <= MAX_REPLY_CHARS;
      checks.push({ name: 'output_valid', passed: validOutput, detail: validOutput ? null : `reply length ${raw.length}` });
      if (!validOutput) { failure = 'invalid output'; break; }
      checks.push({ name: 'tool_arguments_valid', passed: run.toolbox.invalidCalls === 0, detail: run.toolbox.invalidCalls === 0 ? null : `${run.toolbox.invalidCalls} malformed call(s) reported back` });
      const figures = checkFigures({ reply: raw, toolResults: run.toolbox.results(), otherSources, trustedTexts });
      checks.push({ name: 'figures_grounded', passed: figures.passed, detail: figures.passed ? null : `unsupported: ${figures.unsupported.join(', ')}` });
      // A second run would call the tools again: a drafted order would be drafted twice.
      const drafted = run.toolbox.calls.some((c) => c.tool === 'create_order_draft' && c.ok);
      if (figures.passed) final = { text: restore(raw, min.mapping, settings?.restorePersonalData ?? false), handoff: run.toolbox.handoffReason };
      else if (attempt === 0 && !drafted) correction = `Your previous reply quoted figures no tool returned in this turn (${figures.unsupported.join(', ')}). Call the tools again and quote only their figures.`;
      else failure = `figures not grounded: ${figures.unsupported.join(', ')}`;
    }

    const provider = engine?.provider ?? 'none';
    const model = engine?.model ?? 'none';
    if (final === null) {
      const sent = await d.outbound.execute({ workspaceId: cmd.workspaceId, conversationId: conversation.id, author: 'assistant', text: HOLDING_REPLY[lang] });
      await this.handOff(cmd.workspaceId, conversation.id);
      return this.audit({ cmd, outcome: 'fallback', reason: failure ?? 'no engine', replyMessageId: sent.ok ? sent.value.message.id : null, provider, model, started, calls, checks, redactions: min.counts, usage });
    }
    const sent = await d.outbound.execute({ workspaceId: cmd.workspaceId, conversationId: conversation.id, author: 'assistant', text: final.text });
    if (final.handoff !== null) await this.handOff(cmd.workspaceId, conversation.id);
    return this.audit({ cmd, outcome: final.handoff !== null ? 'handoff' : 'replied', reason: final.handoff, replyMessageId: sent.ok ? sent.value.message.id : null, provider, model, started, calls, checks, redactions: min.counts, usage });
  }

  private tick(): number {
    return this.deps.monotonicNow ? this.deps.monotonicNow() : this.deps.clock.now().getTime();
  }

  private async attempt(
    engine: AssistantEngine,
    scope: { workspaceId: WorkspaceId; conversationId: ConversationId; contactId: ContactId },
    ctx: { businessProfile: BusinessProfile | null; messages: Array<{ author: 'customer' | 'merchant'; text: string; at: Date }>; orders: Awaited<ReturnType<AssistantOrderDesk['listForContact']>>; correction: string | null },
    timeoutMs: number,
  ): Promise<Attempt> {
    const toolbox = new ScopedToolbox(scope, { catalog: this.deps.catalog, orders: this.deps.orderDesk });
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => { controller.abort(); reject(new Error(`timed out after ${timeoutMs} ms`)); }, timeoutMs); });
    try {
      const reply = await Promise.race([engine.respond({ ...scope, ...ctx, tools: toolbox }, controller.signal), timeout]);
      if (typeof reply?.text !== 'string') return { reply: null, error: 'engine returned no text', toolbox };
      return { reply, error: null, toolbox };
    } catch (e) {
      return { reply: null, error: errorText(e), toolbox };
    } finally {
      clearTimeout(timer);
    }
  }

  private handOff(workspaceId: WorkspaceId, conversationId: ConversationId): Promise<void> {
    const d = this.deps;
    return d.uow.run(async () => {
      const c = await d.conversations.get(workspaceId, conversationId);
      if (!c || c.owner !== 'assistant') return;
      const previousHandoffAt = c.handoffRequestedAt;
      const now = d.clock.now();
      c.requestHandoff(now);
      await d.conversations.save(c);
      const contact = await d.contacts.get(workspaceId, c.contactId);
      if (contact?.restrictions.processingRestricted) return;
      const timezone = (await d.workspaces.get(workspaceId))?.timezone ?? 'UTC';
      const thread = await d.messages.listByConversation(workspaceId, conversationId);
      const firstAnswer = thread.filter((m) => m.direction === 'outbound' && m.deliveryState === 'sent' && responderOf(m.authorKind === 'customer' ? 'agent' : m.authorKind) === 'assistant')
        .sort((a, b) => a.sentAt.getTime() - b.sentAt.getTime())[0];
      await d.metrics.add(handoffMetrics({ workspaceId, initiator: 'assistant', at: now, timezone, firstAssistantResponseAt: firstAnswer?.sentAt ?? null, previousHandoffAt }));
    });
  }

  private async audit(a: {
    cmd: { workspaceId: WorkspaceId; conversationId: ConversationId; messageId: MessageId }; outcome: AiOutcome; reason: string | null; replyMessageId: MessageId | null;
    provider: string; model: string; started: number; calls: AiToolCallRecord[]; checks: AiCheck[]; redactions: Record<string, number>; usage?: EngineReply['usage'];
  }): Promise<RespondOutcome> {
    const d = this.deps;
    const id = d.ids.next();
    await d.uow.run(() => d.aiAudit.append({
      id, workspaceId: a.cmd.workspaceId, conversationId: a.cmd.conversationId, messageId: a.cmd.messageId, replyMessageId: a.replyMessageId, outcome: a.outcome,
      reason: a.reason, provider: a.provider, model: a.model, latencyMs: Math.max(0, this.tick() - a.started), inputTokens: a.usage?.inputTokens ?? null,
      outputTokens: a.usage?.outputTokens ?? null, toolCalls: a.calls, checks: a.checks, redactions: a.redactions, at: d.clock.now(),
    }));
    return { kind: a.outcome, replyMessageId: a.replyMessageId, auditId: id, reason: a.reason };
  }
}

function errorText(e: unknown): string {
  // Provider errors may echo request details; keep the class and a short message only.
  const s = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return s.replace(/(sk|key|bearer)[-_ ]?[A-Za-z0-9_-]{8,}/gi, '[redacted]').slice(0, 300);
}
