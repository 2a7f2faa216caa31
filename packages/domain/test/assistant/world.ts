import { createInMemoryRepositories, FakeClock, InMemoryAssistantRecords, SequentialIds } from '../../in-memory/index.js';
import { make, uuid } from '../../testing/fixtures.js';
import { Ids, ok, RespondToCustomer, type AssistantEngine, type ConversationId, type MessageId, type OutboundAuthor, type WorkspaceId } from '../../src/index.js';
import { FixtureCatalog, FixtureOrderDesk, fixture } from '../assistant-eval/harness.js';

/** One shop, one connected account, one customer with an open conversation, and a recording outbound port. */
export async function assistantWorld(engine: AssistantEngine, options: { timeoutMs?: number } = {}) {
  const clock = new FakeClock('2026-03-01T10:00:00.000Z');
  const repos = createInMemoryRepositories();
  const records = new InMemoryAssistantRecords(repos.db);
  const now = clock.now();
  const ws = make.workspace(uuid(1), now);
  ws.updateBusinessProfile(fixture.profile, now);
  const account = make.account(uuid(2), ws.id, 'ig-1', now);
  const contact = make.contact(uuid(3), ws.id, account.id, 'igsid-1', now);
  const conversation = make.conversation(uuid(4), ws.id, account.id, contact.id, now);
  await repos.uow.run(async () => {
    await repos.workspaces.save(ws); await repos.accounts.save(account); await repos.contacts.save(contact); await repos.conversations.save(conversation);
  });
  const sent: Array<{ author: OutboundAuthor; text: string }> = [];
  let n = 100;
  const outbound = { execute: async (cmd: { workspaceId: WorkspaceId; conversationId: ConversationId; author: OutboundAuthor; text: string }) => { sent.push({ author: cmd.author, text: cmd.text }); return ok({ message: { id: Ids.message(uuid(n++)) } as never }); } };
  if (options.timeoutMs) await records.save({ workspaceId: ws.id, enabled: true, provider: 'openai_compatible', model: null, baseUrl: null, apiKeyRef: null, restorePersonalData: false, timeoutMs: options.timeoutMs, updatedAt: now });
  const useCase = new RespondToCustomer({
    ...repos, aiAudit: records, assistantSettings: records, automations: records, catalog: new FixtureCatalog(), orderDesk: new FixtureOrderDesk(),
    engines: { engineFor: async () => engine }, outbound, clock, ids: new SequentialIds('11111111'),
  });
  let mid = 0;
  /** Stores an inbound customer message (as the webhook processing does) and returns the command for the job. */
  const receive = async (text: string | null, attachments: Array<{ type: string; url: string | null }> = []) => {
    const at = clock.advance(1000);
    const id = uuid(500 + mid++);
    const m = make.inbound(id, ws.id, account.id, conversation.id, contact.id, `mid-${mid}`, text, at);
    const msg = attachments.length ? Object.assign(m, { _attachments: attachments }) : m;
    await repos.uow.run(async () => {
      const c = (await repos.conversations.get(ws.id, conversation.id))!;
      c.customerActed(at, true);
      await repos.conversations.save(c);
      await repos.messages.save(msg);
    });
    return { workspaceId: ws.id, conversationId: conversation.id, messageId: Ids.message(id) as MessageId };
  };
  return { clock, repos, records, ws, account, contact, conversation, sent, useCase, receive };
}
