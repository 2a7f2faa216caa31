import type { InstagramAccountId, WorkspaceId } from '../shared/ids.js';
import type { AutomationRule, WelcomeSettings } from './rules.js';

export interface AutomationRuleRepository {
  listRules(workspaceId: WorkspaceId): Promise<AutomationRule[]>;
  getRule(workspaceId: WorkspaceId, id: string): Promise<AutomationRule | null>;
  saveRule(rule: AutomationRule): Promise<void>;
  deleteRule(workspaceId: WorkspaceId, id: string): Promise<boolean>;
  getWelcome(workspaceId: WorkspaceId): Promise<WelcomeSettings | null>;
  saveWelcome(settings: WelcomeSettings): Promise<void>;
}

/** Comment-to-DM: Instagram allows one private reply per comment; the claim is what makes it one. */
export interface PrivateReplyLedger {
  /** Records the reply to `commentId`; false when one was already claimed (nothing is written). */
  claimPrivateReply(claim: { workspaceId: WorkspaceId; accountId: InstagramAccountId; commentId: string; ruleId: string; at: Date }): Promise<boolean>;
  hasPrivateReply(workspaceId: WorkspaceId, accountId: InstagramAccountId, commentId: string): Promise<boolean>;
}
