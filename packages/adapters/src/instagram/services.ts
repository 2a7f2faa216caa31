import { USAGE_SLOWDOWN_PERCENT, type Clock } from '@palette/domain';
import { GraphApiClient, type GraphLogger } from './graph-client.js';
import { GraphConversationsReader, GraphTokenRefresher, LimitedConversations } from './graph-ports.js';
import { PostgresRateLimiter, type RateLimiterOptions, type SqlRows } from './rate-limiter.js';
import type { InstagramSettings } from './settings.js';

export interface InstagramServices {
  readonly settings: InstagramSettings;
  readonly client: GraphApiClient;
  readonly limiter: PostgresRateLimiter;
  readonly conversations: LimitedConversations;
  readonly reader: GraphConversationsReader;
  readonly refresher: GraphTokenRefresher;
}

/**
 * The Graph client wired to the shared limiter: every response's `X-Business-Use-Case-Usage` is
 * reported to it, so all processes slow down above 80 % and pause for the regain time.
 */
export function createInstagramServices(input: {
  settings: InstagramSettings; sql: SqlRows; clock?: Clock; logger?: GraphLogger; limiter?: RateLimiterOptions; timeoutMs?: number; onUsageError?: (e: unknown) => void;
}): InstagramServices {
  const limiter = new PostgresRateLimiter(input.sql, input.limiter);
  const s = input.settings;
  // Ordinary usage is not worth a write per call: only a high reading, and the first low one after it.
  const high = new Set<string>();
  const client = new GraphApiClient({
    appId: s.appId, appSecret: s.appSecret, graphUrl: s.graphUrl, oauthUrl: s.oauthUrl, authorizeUrl: s.authorizeUrl, apiVersion: s.apiVersion,
    ...(input.timeoutMs ? { timeoutMs: input.timeoutMs } : {}), ...(input.clock ? { clock: input.clock } : {}), ...(input.logger ? { logger: input.logger } : {}),
    onUsage: (igUserId, usage) => {
      const isHigh = usage.maxPercent >= USAGE_SLOWDOWN_PERCENT || usage.regainAccessMs > 0;
      if (!isHigh && !high.has(igUserId)) return;
      if (isHigh) high.add(igUserId); else high.delete(igUserId);
      limiter.reportUsage(igUserId, { percent: usage.maxPercent, regainAccessMs: usage.regainAccessMs }).catch((e: unknown) => input.onUsageError?.(e));
    },
  });
  const conversations = new LimitedConversations(client, limiter);
  return { settings: s, client, limiter, conversations, reader: new GraphConversationsReader(conversations), refresher: new GraphTokenRefresher(client) };
}
