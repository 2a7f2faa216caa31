import { describe, expect, it } from 'vitest';
import { OfflineAssistant } from '@palette/domain';
import { PermanentJobError } from '@palette/adapters/queue';
import { assistantReplyHandler } from '../src/handlers/assistant-reply.js';
import { assistantWorld } from '../../domain/test/assistant/world.js';

describe('assistant.reply handler', () => {
  it('answers the message once and is a no-op when the job runs again', async () => {
    const w = await assistantWorld(new OfflineAssistant());
    const cmd = await w.receive('How much is the canvas tote?');
    const outcomes: unknown[] = [];
    const handler = assistantReplyHandler(() => w.useCase, (f) => outcomes.push(f.kind));
    const job = { id: 'j1', data: cmd } as unknown as Parameters<typeof handler>[0];
    await handler(job);
    await handler(job);
    expect(outcomes).toEqual(['replied', 'skipped']);
    expect(w.sent.filter((s) => s.author === 'assistant')).toHaveLength(1);
  });

  it('rejects a malformed payload permanently', async () => {
    const w = await assistantWorld(new OfflineAssistant());
    const handler = assistantReplyHandler(() => w.useCase);
    await expect(handler({ id: 'j', data: { workspaceId: 'nope' } } as unknown as Parameters<typeof handler>[0])).rejects.toBeInstanceOf(PermanentJobError);
  });
});
