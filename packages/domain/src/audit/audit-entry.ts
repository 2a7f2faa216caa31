import type { AuditEntryId, WorkspaceId } from '../shared/ids.js';

export type AuditActor = { readonly kind: 'user'; readonly id: string } | { readonly kind: 'system' | 'meta' | 'assistant' | 'anonymous'; readonly id?: string };

/** Who did what to which resource, when, under which request. Never message text or secrets. */
export interface AuditEntry {
  readonly id: AuditEntryId;
  readonly workspaceId: WorkspaceId | null;
  readonly actor: AuditActor;
  readonly action: string;
  readonly target: { readonly type: string; readonly id: string } | null;
  readonly at: Date;
  readonly requestId: string | null;
  /** Small, non-personal facts (role names, statuses, counts). */
  readonly details: Readonly<Record<string, string | number | boolean | null>>;
}
