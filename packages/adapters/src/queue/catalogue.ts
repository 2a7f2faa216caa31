/** How one queue behaves; created in pg-boss with these settings before anything is sent to it. */
export interface QueueDefinition {
  readonly name: string;
  /**
   * Seconds a job may stay active before another worker may take it (pg-boss defaults to 15 min).
   * This is how long a crashed worker delays the job: keep it to seconds for anything a customer waits on.
   */
  readonly expireInSeconds: number;
  /** Attempts after the first; then the job is a dead letter. */
  readonly retryLimit: number;
  /** Base delay of the exponential backoff; pg-boss adds up to the same again as random jitter. */
  readonly retryDelaySeconds: number;
  /** Honour `orderingKey`: jobs with the same key run one at a time, oldest first. */
  readonly ordered: boolean;
  /** Standard cron (UTC). Scheduled queues keep at most one job waiting: a backlog of sweeps is pointless. */
  readonly cron?: string;
  /** Jobs one worker process runs at once from this queue. */
  readonly concurrency: number;
}

const customerFacing = { expireInSeconds: 30, retryLimit: 8, retryDelaySeconds: 2, ordered: true, concurrency: 8 } as const;
const background = { expireInSeconds: 600, retryLimit: 5, retryDelaySeconds: 30, ordered: false, concurrency: 1 } as const;

/**
 * Every queue Palette uses. Handlers are registered by name (JobRegistry); a queue without one
 * still exists, so producers can send to it and the work waits, visible in the queue depth.
 */
export const PALETTE_QUEUES = {
  inboundMessage: { name: 'inbound.message', ...customerFacing },
  assistantReply: { name: 'assistant.reply', ...customerFacing, expireInSeconds: 90 },
  outboundSend: { name: 'outbound.send', ...customerFacing },
  orderNotification: { name: 'order.notification', ...customerFacing, expireInSeconds: 60 },
  tokenRefresh: { name: 'instagram.token-refresh', ...background, cron: '17 3 * * *' },
  keyRotation: { name: 'secrets.key-rotation', ...background, expireInSeconds: 1800 },
  retentionSweep: { name: 'privacy.retention-sweep', ...background, cron: '7 * * * *' },
  revocationDeletion: { name: 'privacy.revocation-deletion', ...background, retryLimit: 10 },
  exportBundle: { name: 'privacy.export-bundle', ...background, concurrency: 2 },
  reportRepair: { name: 'reports.repair', ...background },
  stockHoldExpiry: { name: 'catalog.stock-hold-expiry', ...background, expireInSeconds: 120, retryDelaySeconds: 10, cron: '*/5 * * * *' },
  deliveryGapCheck: { name: 'instagram.delivery-gap-check', ...background, expireInSeconds: 120, cron: '*/15 * * * *' },
  /** After a (re)connection ({workspaceId, accountId}): release held sends, backfill recent conversations. */
  instagramConnected: { name: 'instagram.connected', ...background, expireInSeconds: 300, retryDelaySeconds: 10 },
  /** One stored webhook delivery ({deliveryId}); ordered per account and customer. */
  instagramWebhook: { name: 'instagram.webhook', ...customerFacing },
  /** Re-enqueues deliveries still `received` a minute after arrival (their job was never sent or lost). */
  instagramWebhookSweep: { name: 'instagram.webhook-sweep', ...background, expireInSeconds: 120, cron: '* * * * *' },
  /** Comment-to-DM: one claimed private reply ({workspaceId, accountId, commentId, text, commentAt, fromId}); ordered per account. */
  instagramPrivateReply: { name: 'instagram.private_reply', ...customerFacing },
} as const satisfies Record<string, QueueDefinition>;

export const PALETTE_QUEUE_LIST: readonly QueueDefinition[] = Object.values(PALETTE_QUEUES);
