export const ROLES = ['owner', 'admin', 'agent', 'analyst'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Everything a member can be allowed to do. Routes and jobs name one permission each; the matrix
 * below is the single source of truth the HTTP layer consults and the role × route test walks.
 */
export const PERMISSIONS = [
  'workspace.read',
  'workspace.settings',
  'workspace.delete',
  'billing.manage',
  'team.read',
  'team.manage',
  'team.manage_owners',
  'instagram.read',
  'instagram.manage',
  'inbox.read',
  'messages.read_content',
  'messages.send',
  'conversations.manage',
  'contacts.read',
  'contacts.edit',
  'contacts.privacy',
  'catalog.read',
  'catalog.write',
  'inventory.write',
  'orders.read',
  'orders.write',
  'reports.read',
  'exports.create',
  'privacy.manage',
  'assistant.configure',
  'audit.read',
  'jobs.manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const OWNER_ONLY: readonly Permission[] = ['workspace.delete', 'billing.manage', 'team.manage_owners'];

const AGENT: readonly Permission[] = [
  'workspace.read', 'team.read', 'instagram.read', 'inbox.read', 'messages.read_content', 'messages.send',
  'conversations.manage', 'contacts.read', 'contacts.edit', 'catalog.read', 'orders.read', 'orders.write',
];

// Analysts read numbers, never conversations: no inbox, no message content, no contact profiles.
const ANALYST: readonly Permission[] = ['workspace.read', 'catalog.read', 'orders.read', 'reports.read'];

export const PERMISSION_MATRIX: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  owner: new Set(PERMISSIONS),
  admin: new Set(PERMISSIONS.filter((p) => !OWNER_ONLY.includes(p))),
  agent: new Set(AGENT),
  analyst: new Set(ANALYST),
};

export function can(role: Role, permission: Permission): boolean {
  return PERMISSION_MATRIX[role].has(permission);
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
