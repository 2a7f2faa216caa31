import type { ContactId, ConversationId, WorkspaceId } from '../shared/ids.js';
import type { BusinessProfile } from '../accounts/workspace.js';

export interface AssistantContext {
  readonly workspaceId: WorkspaceId;
  readonly conversationId: ConversationId;
  readonly contactId: ContactId;
  readonly businessProfile: BusinessProfile | null;
  /** Only messages still within retention, oldest first. */
  readonly messages: ReadonlyArray<{ readonly author: 'customer' | 'merchant'; readonly text: string; readonly at: Date }>;
}

export type AssistantAction =
  | { readonly kind: 'handoff'; readonly reason: string }
  | { readonly kind: 'order_drafted'; readonly orderId: string }
  | { readonly kind: 'tool_call'; readonly tool: string; readonly ok: boolean };

export interface AssistantReply {
  readonly text: string | null;
  readonly actions: readonly AssistantAction[];
}

/** The sales assistant (LLM-backed or offline). Whether to call it at all is the domain's decision. */
export interface Assistant {
  reply(context: AssistantContext): Promise<AssistantReply>;
}
