import { z } from 'zod';
import type { Container } from 'inversify';
import { Ids, type AuditEntry } from '@palette/domain';
import { decodeCursor, pageFrom, pageOf, pageQuery } from '../http/pagination.js';
import { HttpProblem } from '../http/problem.js';
import { defineRoute } from '../http/route.js';
import { TOKENS } from '../tokens.js';

const AuditEntryDto = z
  .object({
    id: z.uuid(),
    action: z.string(),
    actor: z.object({ kind: z.enum(['user', 'system', 'meta', 'assistant', 'anonymous']), id: z.string().optional() }),
    target: z.object({ type: z.string(), id: z.string() }).nullable(),
    at: z.iso.datetime(),
    requestId: z.string().nullable(),
    details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  })
  .meta({ id: 'AuditEntry', description: 'Who did what to which resource, when; never message text or secrets.' });

const toDto = (e: AuditEntry): z.input<typeof AuditEntryDto> => ({
  id: e.id, action: e.action, actor: e.actor.id === undefined ? { kind: e.actor.kind } : { kind: e.actor.kind, id: e.actor.id },
  target: e.target, at: e.at.toISOString(), requestId: e.requestId, details: { ...e.details },
});

const AuditQuery = z
  .object({
    ...pageQuery,
    action: z.string().min(1).max(100).optional().describe('Exact action, such as `member.role_changed`.'),
    actorId: z.string().min(1).max(100).optional().describe('Entries by this user id.'),
    from: z.iso.datetime({ offset: true }).optional().describe('Entries at or after this instant.'),
    to: z.iso.datetime({ offset: true }).optional().describe('Entries before this instant.'),
  })
  .refine((q) => q.from === undefined || q.to === undefined || new Date(q.from) < new Date(q.to), { message: '`from` must be before `to`', path: ['to'] });

const RequestLogDto = z
  .object({
    id: z.uuid(), at: z.iso.datetime(), userId: z.uuid().nullable(), method: z.string(), route: z.string(),
    status: z.number().int(), durationMs: z.number().int().nonnegative(), requestId: z.string(),
  })
  .meta({ id: 'RequestLogEntry', description: 'One API request: who, which route pattern (never the concrete path or query), the status, when. Kept 1 year.' });

export const auditRoutes = (c: Container) => [
  defineRoute(
    {
      method: 'get',
      path: '/api/workspaces/:workspaceId/audit',
      summary: 'The audit log, newest first',
      tags: ['audit'],
      auth: 'session',
      permission: 'audit.read',
      params: z.object({ workspaceId: z.uuid() }),
      query: AuditQuery,
      responses: { 200: { description: 'One page of audit entries', body: pageOf(AuditEntryDto, 'AuditEntryPage') } },
    },
    async ({ principal, query }) => {
      const after = decodeCursor(query.cursor);
      if (after !== undefined && typeof after.sortKey !== 'number') {
        throw HttpProblem.validation([{ path: 'query.cursor', message: 'is not a cursor this API issued', code: 'invalid_cursor' }]);
      }
      const { repos } = c.get(TOKENS.WorkspaceServices);
      const rows = await repos.audit.list(principal.workspaceId, {
        ...(query.action === undefined ? {} : { action: query.action }),
        ...(query.actorId === undefined ? {} : { actorId: query.actorId }),
        ...(query.from === undefined ? {} : { from: new Date(query.from) }),
        ...(query.to === undefined ? {} : { to: new Date(query.to) }),
        ...(after === undefined ? {} : { after: { at: new Date(after.sortKey), id: after.id } }),
        limit: query.limit + 1,
      });
      const page = pageFrom(rows, query.limit, (e) => ({ sortKey: e.at.getTime(), id: e.id }));
      return { status: 200, body: { items: page.items.map(toDto), nextCursor: page.nextCursor } };
    },
  ),
  defineRoute(
    {
      method: 'get',
      path: '/api/workspaces/:workspaceId/audit/requests',
      summary: 'The API request log, newest first',
      description: 'Every API request a member made in this workspace: access times, route patterns and outcomes. Written in batches about a second after each response; deleted after a year and at a user\'s erasure.',
      tags: ['audit'],
      auth: 'session',
      permission: 'audit.read',
      params: z.object({ workspaceId: z.uuid() }),
      query: z.object({ ...pageQuery, userId: z.uuid().optional().describe('Only this member\'s requests.') }),
      responses: { 200: { description: 'One page of request log entries', body: pageOf(RequestLogDto, 'RequestLogPage') } },
    },
    async ({ principal, query }) => {
      const after = decodeCursor(query.cursor);
      if (after !== undefined && typeof after.sortKey !== 'number') {
        throw HttpProblem.validation([{ path: 'query.cursor', message: 'is not a cursor this API issued', code: 'invalid_cursor' }]);
      }
      const rows = await c.get(TOKENS.RequestLog).list(principal.workspaceId, {
        limit: query.limit + 1,
        ...(query.userId === undefined ? {} : { userId: Ids.user(query.userId) }),
        ...(after === undefined ? {} : { after: { at: new Date(after.sortKey), id: after.id } }),
      });
      const page = pageFrom(rows, query.limit, (e) => ({ sortKey: e.at.getTime(), id: e.id }));
      return {
        status: 200,
        body: { items: page.items.map((e) => ({ id: e.id, at: e.at.toISOString(), userId: e.userId, method: e.method, route: e.route, status: e.status, durationMs: e.durationMs, requestId: e.requestId })), nextCursor: page.nextCursor },
      };
    },
  ),
];
