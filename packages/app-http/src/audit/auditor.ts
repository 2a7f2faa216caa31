import { Ids, type AuditActor, type AuditEntry, type Clock, type IdGenerator, type Repositories, type WorkspaceId } from '@palette/domain';

/** What a handler knows about one change; the auditor adds id, time and request id. */
export interface AuditEvent {
  readonly workspaceId: WorkspaceId | null;
  readonly actor: AuditActor;
  readonly action: string;
  readonly target: { readonly type: string; readonly id: string } | null;
  /** Role names, field names, counts: never names, emails, message text or secrets. */
  readonly details?: AuditEntry['details'];
}

/**
 * Appends audit entries through the request's repositories, so an entry commits in the same unit
 * of work as the change it describes: no entry for a rolled-back change, no change without one.
 */
export class Auditor {
  constructor(private readonly deps: { audit: Repositories['audit']; clock: Clock; ids: IdGenerator }) {}

  /** Call inside the change's `uow.run` (or a use case's `inTransaction` hook). */
  async record(event: AuditEvent, requestId: string | null): Promise<void> {
    await this.deps.audit.append({
      id: Ids.auditEntry(this.deps.ids.next()),
      workspaceId: event.workspaceId,
      actor: event.actor,
      action: event.action,
      target: event.target,
      at: this.deps.clock.now(),
      requestId,
      details: event.details ?? {},
    });
  }
}

/** The audit vocabulary: filters and dashboards match these strings, so they are never renamed. */
export const AUDIT_ACTIONS = {
  workspaceSettingsChanged: 'workspace.settings_changed',
  memberRoleChanged: 'member.role_changed',
  memberRemoved: 'member.removed',
  memberJoined: 'member.joined',
  invitationCreated: 'invitation.created',
  invitationRevoked: 'invitation.revoked',
} as const;
