import { describe, expect, it } from 'vitest';
import { PERMISSIONS, PERMISSION_MATRIX, ROLES, can, isRole, type Permission, type Role } from '../src/index.js';

const OWNER_ONLY: readonly Permission[] = ['workspace.delete', 'billing.manage', 'team.manage_owners'];

/** The matrix written out by hand: a change to the source of truth has to change this spec too. */
const EXPECTED: Record<Role, readonly Permission[]> = {
  owner: PERMISSIONS,
  admin: PERMISSIONS.filter((p) => !OWNER_ONLY.includes(p)),
  agent: [
    'workspace.read', 'team.read', 'instagram.read', 'inbox.read', 'messages.read_content', 'messages.send',
    'conversations.manage', 'contacts.read', 'contacts.edit', 'catalog.read', 'orders.read', 'orders.write',
  ],
  analyst: ['workspace.read', 'catalog.read', 'orders.read', 'reports.read'],
};

const granted = (role: Role) => PERMISSIONS.filter((p) => can(role, p));

describe('permission matrix', () => {
  it('lists every permission once and every role', () => {
    expect(new Set(PERMISSIONS).size).toBe(PERMISSIONS.length);
    expect([...ROLES]).toEqual(['owner', 'admin', 'agent', 'analyst']);
    expect(Object.keys(PERMISSION_MATRIX).sort()).toEqual([...ROLES].sort());
  });

  it.each(ROLES)('grants %s exactly the expected permissions', (role) => {
    expect(granted(role)).toEqual([...EXPECTED[role]]);
    for (const p of PERMISSION_MATRIX[role]) expect(PERMISSIONS).toContain(p);
  });

  it.each(PERMISSIONS)('grants %s to the owner', (p) => {
    expect(can('owner', p)).toBe(true);
  });

  it('gives admins everything except deleting the workspace, billing and managing owners', () => {
    for (const p of PERMISSIONS) expect(can('admin', p)).toBe(!OWNER_ONLY.includes(p));
    for (const p of OWNER_ONLY) {
      expect(can('admin', p)).toBe(false);
      expect(can('agent', p)).toBe(false);
      expect(can('analyst', p)).toBe(false);
    }
  });

  it('keeps agents out of reports, exports, settings and team management', () => {
    for (const p of ['reports.read', 'exports.create', 'workspace.settings', 'team.manage', 'team.manage_owners', 'privacy.manage', 'billing.manage', 'audit.read', 'jobs.manage'] as const) {
      expect(can('agent', p)).toBe(false);
    }
    for (const p of ['inbox.read', 'messages.read_content', 'messages.send', 'orders.write'] as const) expect(can('agent', p)).toBe(true);
  });

  it('lets analysts read numbers and orders but never conversations or contact profiles', () => {
    expect(can('analyst', 'reports.read')).toBe(true);
    expect(can('analyst', 'orders.read')).toBe(true);
    for (const p of ['messages.read_content', 'inbox.read', 'contacts.read', 'messages.send', 'contacts.privacy', 'exports.create'] as const) {
      expect(can('analyst', p)).toBe(false);
    }
    // An analyst writes nothing at all.
    expect(granted('analyst').every((p) => p.endsWith('.read'))).toBe(true);
  });

  it('is a hierarchy: analyst and agent ⊂ admin ⊂ owner', () => {
    const subset = (a: Role, b: Role) => granted(a).every((p) => can(b, p));
    expect(subset('analyst', 'admin')).toBe(true);
    expect(subset('agent', 'admin')).toBe(true);
    expect(subset('admin', 'owner')).toBe(true);
    expect(subset('owner', 'admin')).toBe(false);
  });

  it('recognises roles', () => {
    for (const r of ROLES) expect(isRole(r)).toBe(true);
    for (const r of ['Owner', 'superadmin', '', 'owner ', 'toString']) expect(isRole(r)).toBe(false);
  });
});
