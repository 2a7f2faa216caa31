import { z } from 'zod';
import type { Container } from 'inversify';
import { assertNever, ok, type Workspace, type WorkspaceError } from '@palette/domain';
import { AUDIT_ACTIONS } from '../audit/auditor.js';
import { HttpProblem } from '../http/problem.js';
import { defineRoute } from '../http/route.js';
import { TOKENS } from '../tokens.js';

const text = (max: number) => z.string().trim().max(max);

const BusinessProfile = z
  .object({
    storeName: text(120),
    tone: text(500),
    shippingPolicy: text(4000),
    returnPolicy: text(4000),
    openingHours: text(500),
    faq: z.array(z.object({ question: text(500).min(1), answer: text(4000) }).strict()).max(50),
  })
  .strict()
  .meta({ id: 'BusinessProfile', description: 'What the assistant may tell customers about the shop; no personal data belongs here.' });

const WorkspaceDto = z
  .object({
    id: z.uuid(),
    name: z.string(),
    timezone: z.string(),
    currency: z.string().length(3),
    businessProfile: BusinessProfile.nullable(),
    version: z.number().int().describe('Send it back with PATCH; a stale one is refused with 409 (`workspace.version_conflict`).'),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Workspace' });

const toDto = (w: Workspace): z.input<typeof WorkspaceDto> => ({
  id: w.id, name: w.name, timezone: w.timezone, currency: w.defaultCurrency, businessProfile: w.businessProfile ? { ...w.businessProfile, faq: [...w.businessProfile.faq] } : null, version: w.version, updatedAt: w.updatedAt.toISOString(),
});

const params = z.object({ workspaceId: z.uuid() });

const SettingsPatch = z
  .object({
    version: z.number().int().min(1).describe('The `version` you read; the change applies only if nobody changed the workspace since.'),
    name: z.string().max(200).optional(),
    timezone: z.string().max(100).optional().describe('IANA zone such as Europe/Lisbon; reports cut days in it.'),
    businessProfile: BusinessProfile.optional(),
  })
  .strict()
  .refine((b) => b.name !== undefined || b.timezone !== undefined || b.businessProfile !== undefined, { message: 'change at least one of name, timezone, businessProfile' });

function settingsProblem(e: WorkspaceError): HttpProblem {
  switch (e.kind) {
    case 'InvalidWorkspaceName': return HttpProblem.validation([{ path: 'body.name', message: 'must be 1 to 120 characters', code: 'invalid_name' }]);
    case 'InvalidTimezone': return HttpProblem.validation([{ path: 'body.timezone', message: 'must be an IANA time zone such as Europe/Paris', code: 'invalid_timezone' }]);
    case 'InvalidCurrency': return HttpProblem.validation([{ path: 'body.currency', message: 'must be an ISO 4217 code', code: 'invalid_currency' }]);
    default: return assertNever(e);
  }
}

/**
 * Workspace settings. Deleting a workspace is not here: it must stop sends, revoke the Instagram
 * token and erase data with a receipt, which belongs to the privacy jobs, not to one request.
 */
export const workspaceRoutes = (c: Container) => [
  defineRoute(
    {
      method: 'get',
      path: '/api/workspaces/:workspaceId',
      summary: 'The workspace: name, timezone, currency and business profile',
      tags: ['workspaces'],
      auth: 'session',
      permission: 'workspace.read',
      params,
      responses: { 200: { description: 'The workspace', body: WorkspaceDto } },
    },
    async ({ principal }) => {
      const workspace = await c.get(TOKENS.WorkspaceServices).repos.workspaces.get(principal.workspaceId);
      if (!workspace) throw HttpProblem.notFound();
      return { status: 200, body: toDto(workspace) };
    },
  ),
  defineRoute(
    {
      method: 'patch',
      path: '/api/workspaces/:workspaceId',
      summary: 'Change the workspace settings',
      description: 'Optimistic concurrency: send the `version` you read. The currency is fixed at creation (orders and reports are in it).',
      tags: ['workspaces'],
      auth: 'session',
      permission: 'workspace.settings',
      params,
      body: SettingsPatch,
      responses: { 200: { description: 'The changed workspace', body: WorkspaceDto } },
      problems: ['conflict'],
    },
    async ({ principal, body, requestId }) => {
      const s = c.get(TOKENS.WorkspaceServices);
      const result = await s.repos.uow.run(async () => {
        const workspace = await s.repos.workspaces.get(principal.workspaceId);
        if (!workspace) throw HttpProblem.notFound();
        if (workspace.version !== body.version) {
          throw HttpProblem.conflict(`The workspace changed since you read it (version ${workspace.version}, not ${body.version}); reload and retry.`, 'workspace.version_conflict');
        }
        const now = s.clock.now();
        const changed: string[] = [];
        if (body.name !== undefined) {
          const renamed = workspace.rename(body.name, now);
          if (!renamed.ok) return renamed;
          changed.push('name');
        }
        if (body.timezone !== undefined) {
          const moved = workspace.changeTimezone(body.timezone, s.workspaceOptions, now);
          if (!moved.ok) return moved;
          changed.push('timezone');
        }
        if (body.businessProfile !== undefined) {
          workspace.updateBusinessProfile(body.businessProfile, now);
          changed.push('businessProfile');
        }
        await s.repos.workspaces.save(workspace);
        await s.auditor.record({
          workspaceId: principal.workspaceId, actor: { kind: 'user', id: principal.userId }, action: AUDIT_ACTIONS.workspaceSettingsChanged,
          target: { type: 'workspace', id: workspace.id }, details: { fields: changed.join(','), fromVersion: body.version },
        }, requestId);
        return ok(workspace);
      });
      if (!result.ok) throw settingsProblem(result.error);
      return { status: 200, body: toDto(result.value) };
    },
  ),
];
