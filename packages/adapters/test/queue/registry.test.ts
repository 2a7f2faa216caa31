import { describe, expect, it } from 'vitest';
import { JobRegistry, PALETTE_QUEUE_LIST, PALETTE_QUEUES, PermanentJobError, dedupeJobId } from '@palette/adapters/queue';
import { testQueue } from './support.js';

describe('JobRegistry', () => {
  it('registers a handler only for a defined queue, once', () => {
    const registry = new JobRegistry([testQueue('a'), testQueue('b')]);
    const handler = async () => undefined;
    registry.handle('a', handler);
    expect(() => registry.handle('a', handler)).toThrow(/already has a handler/);
    expect(() => registry.handle('missing', handler)).toThrow(/No queue named missing/);
    expect(() => registry.define(testQueue('b'))).toThrow(/defined twice/);
    expect(registry.handled().map(({ queue }) => queue.name)).toEqual(['a']);
    expect(registry.handler('b')).toBeUndefined();
  });

  it('knows every Palette queue, with expiries of seconds for the ones a customer waits on', () => {
    const names = PALETTE_QUEUE_LIST.map((q) => q.name);
    expect(new Set(names).size).toBe(names.length);
    for (const queue of [PALETTE_QUEUES.inboundMessage, PALETTE_QUEUES.assistantReply, PALETTE_QUEUES.outboundSend, PALETTE_QUEUES.orderNotification]) {
      expect(queue.expireInSeconds).toBeLessThanOrEqual(90);
      expect(queue.ordered).toBe(true);
    }
    expect(PALETTE_QUEUES.tokenRefresh.cron).toBe('17 3 * * *');
    expect(PALETTE_QUEUES.retentionSweep.cron).toBe('7 * * * *');
  });
});

describe('dedupeJobId', () => {
  it('is a stable uuid per queue and key', () => {
    const id = dedupeJobId('outbound.send', 'send:1');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(dedupeJobId('outbound.send', 'send:1')).toBe(id);
    expect(dedupeJobId('outbound.send', 'send:2')).not.toBe(id);
    expect(dedupeJobId('inbound.message', 'send:1')).not.toBe(id);
  });
});

describe('PermanentJobError', () => {
  it('carries the reason and the workspace', () => {
    const error = new PermanentJobError('no such account', { workspaceId: 'ws-1' });
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe('no such account');
    expect(error.workspaceId).toBe('ws-1');
  });
});
