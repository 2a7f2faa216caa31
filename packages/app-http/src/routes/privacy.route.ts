import type { Response } from 'express';
import { z } from 'zod';
import type { Container } from 'inversify';
import {
  DATA_CLASSES, DeleteWorkspace, EraseContact, EraseUser, Ids, NO_AI_DECISION_RECORDS, REQUEST_TYPES, RETENTION_RULES, retentionDays, verifyReceipt, type ContactDirectory, type ContactFactsRepository,
  type DataClass, type DataSubjectRequest, type ErasureStore, type ExportRecord, type ExportStore, type JobQueue, type PrivacyReceipt, type Repositories, type RetentionOverrides, type Workspace,
} from '@palette/domain';
import { InMemoryDatabase, InMemoryPrivacyStores, InMemoryReportStore } from '@palette/domain/in-memory';
import { createSqlExportStores, createSqlPrivacyStore, createSqlReportStore, MikroOrmSession } from '@palette/adapters/persistence';
import { PALETTE_QUEUES } from '@palette/adapters/queue';
import { HttpProblem } from '../http/problem.js';
import { defineRoute } from '../http/route.js';
import { TOKENS } from '../tokens.js';

/** The privacy stores that join one request's repositories (SQL on MikroORM, in memory otherwise). */
export function privacyStoresFor(repos: Repositories): { erasure: ErasureStore; exports: ExportStore; contacts: ContactDirectory; contactFacts: ContactFactsRepository } {
  const uow = repos.uow;
  if (uow instanceof MikroOrmSession) {
    const sql = createSqlExportStores(uow);
    return { erasure: createSqlPrivacyStore(uow), exports: sql.exports, contacts: sql.contacts, contactFacts: createSqlReportStore(uow) };
  }
  if (uow instanceof InMemoryDatabase) {
    const mem = new InMemoryPrivacyStores(uow);
    return { erasure: mem, exports: mem, contacts: mem, contactFacts: new InMemoryReportStore(uow) };
  }
  throw new TypeError('No privacy stores for this kind of repositories');
}

/** Everything a privacy route needs, over ONE unit of work (one resolution of the repositories). */
export function privacyServices(c: Container) {
  const repos = c.get(TOKENS.Repositories);
  const clock = c.get(TOKENS.Clock);
  const ids = c.get(TOKENS.Ids);
  const digest = c.get(TOKENS.Digest);
  const stores = privacyStoresFor(repos);
  const requestLog = c.isBound(TOKENS.RequestLog) ? { requestLog: c.get(TOKENS.RequestLog) } : {};
  const deps = { ...repos, store: stores.erasure, contactFacts: stores.contactFacts, ai: NO_AI_DECISION_RECORDS, clock, ids, digest, ...requestLog };
  return {
    repos, clock, ids, digest, ...stores,
    eraseContact: new EraseContact(deps),
    eraseUser: new EraseUser(deps),
    deleteWorkspace: new DeleteWorkspace(deps),
    jobs: c.isBound(TOKENS.JobQueue) ? (c.get(TOKENS.JobQueue) as JobQueue) : null,
  };
}

/** Queues the bundle build; without a queue the hourly sweep builds pending bundles. */
export async function enqueueExport(jobs: JobQueue | null, exportId: string): Promise<void> {
  if (jobs) await jobs.enqueue({ name: PALETTE_QUEUES.exportBundle.name, data: { exportId }, dedupeKey: `export:${exportId}` });
}

export const ReceiptDto = z
  .object({
    id: z.uuid(),
    kind: z.enum(['erasure', 'revocation', 'retention']),
    policy: z.string(),
    counts: z.record(z.string(), z.number().int().nonnegative()),
    digest: z.string().regex(/^[0-9a-f]{64}$/),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'PrivacyReceipt', description: 'Proof of a removal: classes, counts, policy and a SHA-256 over the removed ids. No personal data.' });

export const receiptDto = (r: PrivacyReceipt): z.input<typeof ReceiptDto> => ({
  id: r.id, kind: r.kind, policy: r.policy, counts: { ...(r.counts as Record<string, number>) }, digest: r.digest, createdAt: r.createdAt.toISOString(),
});

export const ExportDto = z
  .object({ id: z.uuid(), status: z.enum(['pending', 'ready', 'failed']), subject: z.enum(['contact', 'user']), createdAt: z.iso.datetime(), expiresAt: z.iso.datetime(), byteSize: z.number().int().nullable() })
  .meta({ id: 'PrivacyExport', description: 'An export bundle: built by a job, downloadable by its requester only, deleted after 7 days.' });

export const exportDto = (e: ExportRecord): z.input<typeof ExportDto> => ({
  id: e.id, status: e.status, subject: e.subject.kind, createdAt: e.createdAt.toISOString(), expiresAt: e.expiresAt.toISOString(), byteSize: e.byteSize,
});

const sendZip = (res: Response, id: string, zip: Uint8Array) => {
  res.status(200).set({
    'Content-Type': 'application/zip', 'Content-Disposition': `attachment; filename="palette-export-${id}.zip"`, 'Cache-Control': 'no-store',
  }).end(Buffer.from(zip));
};

const RetentionClassDto = z.object({
  dataClass: z.enum(DATA_CLASSES), days: z.number().int().positive(), maxDays: z.number().int().positive(), overridden: z.boolean(),
  action: z.enum(['delete', 'anonymize']), anchor: z.string(), meaning: z.string(),
});
const RetentionDto = z.object({ classes: z.array(RetentionClassDto), version: z.number().int() })
  .meta({ id: 'RetentionSettings', description: 'Each data class: the period this workspace keeps it (days), the published maximum, and what happens at the end.' });

const retentionDto = (w: Workspace): z.input<typeof RetentionDto> => ({
  classes: DATA_CLASSES.map((dataClass) => {
    const rule = RETENTION_RULES[dataClass];
    return { dataClass, days: retentionDays(dataClass, w.retention), maxDays: rule.maxDays, overridden: w.retention[dataClass] !== undefined, action: rule.action, anchor: rule.anchor, meaning: rule.meaning };
  }),
  version: w.version,
});

const DataSubjectRequestDto = z.object({
  id: z.uuid(), type: z.enum(REQUEST_TYPES), subject: z.enum(['contact', 'user']), contactId: z.uuid().nullable(),
  status: z.enum(['received', 'in_progress', 'completed', 'rejected']), requestedAt: z.iso.datetime(), completedAt: z.iso.datetime().nullable(),
  receiptId: z.uuid().nullable(), outcome: z.string().nullable(),
}).meta({ id: 'DataSubjectRequest', description: 'A rights request (access, correction, erasure, restriction, objection, withdrawal) and where it stands. No personal data.' });

const dsrDto = (r: DataSubjectRequest): z.input<typeof DataSubjectRequestDto> => ({
  id: r.id, type: r.type, subject: r.subject.kind, contactId: r.subject.kind === 'contact' ? r.subject.contactId : null, status: r.status,
  requestedAt: r.requestedAt.toISOString(), completedAt: r.completedAt?.toISOString() ?? null, receiptId: r.receiptId, outcome: r.outcome,
});

const WorkspaceExportDto = ExportDto.extend({
  contactId: z.uuid().nullable(),
  /** Only the member who asked may download; everyone with the permission sees that it exists. */
  downloadable: z.boolean(),
}).meta({ id: 'WorkspaceExport', description: 'A contact export requested in this workspace, with whether the caller may download it.' });

export const privacyRoutes = (c: Container) => [
  defineRoute(
    {
      method: 'get', path: '/api/workspaces/:workspaceId/privacy/retention', summary: 'The workspace\'s retention periods',
      description: 'Per data class: the period in force (the workspace\'s shorter choice, or the published maximum), the maximum and what happens when it ends.',
      tags: ['privacy'], auth: 'session', permission: 'privacy.manage', params: z.object({ workspaceId: z.uuid() }),
      responses: { 200: { description: 'The periods', body: RetentionDto } },
    },
    async ({ principal }) => {
      const workspace = await privacyServices(c).repos.workspaces.get(principal.workspaceId);
      if (!workspace) throw HttpProblem.notFound();
      return { status: 200, body: retentionDto(workspace) };
    },
  ),
  defineRoute(
    {
      method: 'put', path: '/api/workspaces/:workspaceId/privacy/retention', summary: 'Choose shorter retention periods',
      description: 'Replaces the workspace\'s overrides: a class left out (or set to null) goes back to the published maximum. '
        + 'A period above the maximum is refused (400, code `retention_above_maximum`), never stored. Audited with the classes and days.',
      tags: ['privacy'], auth: 'session', permission: 'privacy.manage', params: z.object({ workspaceId: z.uuid() }),
      body: z.object({ days: z.partialRecord(z.enum(DATA_CLASSES), z.number().int().min(1).nullable()) }).strict(),
      responses: { 200: { description: 'The periods now in force', body: RetentionDto } },
    },
    async ({ principal, body, requestId }) => {
      const { repos, clock, ids } = privacyServices(c);
      const overrides: RetentionOverrides = Object.fromEntries(Object.entries(body.days).filter((e): e is [DataClass, number] => typeof e[1] === 'number'));
      const saved = await repos.uow.run(async () => {
        const workspace = await repos.workspaces.get(principal.workspaceId);
        if (!workspace) throw HttpProblem.notFound();
        const now = clock.now();
        const set = workspace.setRetention(overrides, now);
        if (!set.ok) {
          const e = set.error;
          if (e.kind === 'UnknownDataClass') throw HttpProblem.validation([{ path: `body.days.${e.dataClass}`, message: 'is not a data class', code: 'unknown_data_class' }]);
          throw HttpProblem.validation([{
            path: `body.days.${e.dataClass}`, code: e.kind === 'RetentionAboveMaximum' ? 'retention_above_maximum' : 'retention_not_positive',
            message: e.kind === 'RetentionAboveMaximum' ? `must be at most ${e.maxDays} days, the published maximum` : 'must be a whole number of days, at least 1',
          }]);
        }
        await repos.workspaces.save(workspace);
        await repos.audit.append({
          id: Ids.auditEntry(ids.next()), workspaceId: principal.workspaceId, actor: { kind: 'user', id: principal.userId }, action: 'privacy.retention_changed',
          target: { type: 'workspace', id: principal.workspaceId }, at: now, requestId,
          details: { overrides: Object.entries(overrides).map(([k, v]) => `${k}=${v}`).sort().join(',') || 'none' },
        });
        return workspace;
      });
      return { status: 200, body: retentionDto(saved) };
    },
  ),
  defineRoute(
    {
      method: 'get', path: '/api/workspaces/:workspaceId/privacy/requests', summary: 'Data-subject requests of the workspace, oldest first',
      description: 'Erasures and other rights requests recorded for the workspace\'s contacts, with their status and receipt. No personal data.',
      tags: ['privacy'], auth: 'session', permission: 'privacy.manage', params: z.object({ workspaceId: z.uuid() }),
      responses: { 200: { description: 'The requests', body: z.object({ items: z.array(DataSubjectRequestDto) }) } },
    },
    async ({ principal }) => {
      const { repos } = privacyServices(c);
      return { status: 200, body: { items: (await repos.requests.listByWorkspace(principal.workspaceId)).map(dsrDto) } };
    },
  ),
  defineRoute(
    {
      method: 'get', path: '/api/workspaces/:workspaceId/privacy/exports', summary: 'Contact exports requested in the workspace, newest first',
      description: 'The last 100 contact exports (kept 7 days), with their status. `downloadable` is true only for the member who asked, '
        + 'while the bundle is ready and unexpired; the download itself is `GET /api/me/exports/{exportId}/download`.',
      tags: ['privacy'], auth: 'session', permission: 'privacy.manage', params: z.object({ workspaceId: z.uuid() }),
      responses: { 200: { description: 'The exports', body: z.object({ items: z.array(WorkspaceExportDto) }) } },
    },
    async ({ principal }) => {
      const { exports, clock } = privacyServices(c);
      const now = clock.now().getTime();
      const items = (await exports.listByWorkspace(principal.workspaceId, 100)).map((record): z.input<typeof WorkspaceExportDto> => ({
        ...exportDto(record), contactId: record.subject.kind === 'contact' ? record.subject.contactId : null,
        downloadable: record.requestedBy === principal.userId && record.status === 'ready' && record.expiresAt.getTime() > now,
      }));
      return { status: 200, body: { items } };
    },
  ),
  defineRoute(
    {
      method: 'get', path: '/api/workspaces/:workspaceId/privacy/receipts', summary: 'Privacy receipts of the workspace, oldest first',
      description: 'Every erasure, revocation deletion and retention run writes one (a retention run that did not finish leaves one checkpoint receipt per committed batch instead); kept for the audit period (1 year).',
      tags: ['privacy'], auth: 'session', permission: 'privacy.manage', params: z.object({ workspaceId: z.uuid() }),
      responses: { 200: { description: 'The receipts', body: z.object({ items: z.array(ReceiptDto) }) } },
    },
    async ({ principal }) => {
      const { repos } = privacyServices(c);
      return { status: 200, body: { items: (await repos.receipts.listByWorkspace(principal.workspaceId)).map(receiptDto) } };
    },
  ),
  defineRoute(
    {
      method: 'post', path: '/api/workspaces/:workspaceId/privacy/receipts/verify', summary: 'Check a receipt against a list of removed ids',
      description: 'Ids as `class:id` (the form the digest is computed over). Valid only when the receipt is this workspace\'s and its counts and SHA-256 both match.',
      tags: ['privacy'], auth: 'session', permission: 'privacy.manage', params: z.object({ workspaceId: z.uuid() }),
      body: z.object({ receiptId: z.uuid(), ids: z.array(z.string().regex(/^[a-z_]+:.{1,200}$/)).max(100_000) }).strict(),
      responses: { 200: { description: 'Whether the ids are exactly the receipt\'s', body: z.object({ valid: z.boolean() }) } },
    },
    async ({ principal, body }) => {
      const { repos, digest } = privacyServices(c);
      const receipt = (await repos.receipts.listByWorkspace(principal.workspaceId)).find((r) => r.id === body.receiptId);
      return { status: 200, body: { valid: receipt !== undefined && verifyReceipt(receipt, body.ids, digest) } };
    },
  ),
  defineRoute(
    {
      method: 'post', path: '/api/me/export', summary: 'Export my data',
      description: 'Account, memberships, sessions, preferences and the audit of my actions, as a zip built by a job.',
      tags: ['account', 'privacy'], auth: 'user',
      responses: { 202: { description: 'Requested; poll or download when ready', body: ExportDto } },
    },
    async ({ principal }) => {
      const { repos, exports, ids, clock, jobs } = privacyServices(c);
      const record = await repos.uow.run(() => exports.request({ id: ids.next(), workspaceId: null, requestedBy: principal.userId, subject: { kind: 'user', userId: principal.userId }, now: clock.now() }));
      await enqueueExport(jobs, record.id);
      return { status: 202, body: exportDto(record) };
    },
  ),
  defineRoute(
    {
      method: 'get', path: '/api/me/exports/:exportId', summary: 'An export I requested (my data, or a contact\'s)', tags: ['account', 'privacy'], auth: 'user',
      params: z.object({ exportId: z.uuid() }), responses: { 200: { description: 'Its status', body: ExportDto } },
    },
    async ({ principal, params }) => {
      const record = await privacyServices(c).exports.get(params.exportId);
      // Only the requester ever sees an export; anyone else, member or not, gets "not found".
      if (!record || record.requestedBy !== principal.userId) throw HttpProblem.notFound();
      return { status: 200, body: exportDto(record) };
    },
  ),
  defineRoute(
    {
      method: 'get', path: '/api/me/exports/:exportId/download', summary: 'Download an export I requested (zip)',
      description: 'Only the user who requested it, only while it is ready and not expired (7 days).', tags: ['account', 'privacy'], auth: 'user',
      params: z.object({ exportId: z.uuid() }), responses: { 200: { description: 'The zip', contentType: 'application/zip' } },
    },
    async ({ principal, params, res }) => {
      const { exports, clock } = privacyServices(c);
      const got = await exports.download(params.exportId, principal.userId, clock.now());
      if (!got) throw HttpProblem.notFound();
      sendZip(res, got.record.id, got.zip);
    },
  ),
  defineRoute(
    {
      method: 'delete', path: '/api/me', summary: 'Erase my account',
      description: 'Name, email, password and preferences go; every session ends and is deleted; memberships are removed. '
        + 'The only owner of a workspace must hand it over or delete it first (409). Returns the receipt.',
      tags: ['account', 'privacy'], auth: 'user',
      responses: { 200: { description: 'Erased', body: z.object({ receipt: ReceiptDto }) } },
      problems: ['conflict'],
    },
    async ({ principal, requestId }) => {
      const result = await privacyServices(c).eraseUser.execute({ userId: principal.userId, requestId });
      if (!result.ok) {
        if (result.error.kind === 'SoleOwner') throw HttpProblem.conflict('You are the only owner of a workspace: transfer ownership or delete the workspace first.', 'account.sole_owner');
        throw HttpProblem.unauthenticated();
      }
      // Every session row is gone, so the cookie the browser still holds authenticates nobody.
      return { status: 200, body: { receipt: receiptDto(result.value.receipt) } };
    },
  ),
  defineRoute(
    {
      method: 'delete', path: '/api/workspaces/:workspaceId', summary: 'Delete the workspace (owner only)',
      description: 'Destroys every Instagram token first (sending stops), then deletes the workspace with its conversations, contacts, orders, '
        + 'catalog and members. Export what you must keep (orders, for tax) before. Returns the receipt, which is kept instance-wide.',
      tags: ['workspaces', 'privacy'], auth: 'session', permission: 'workspace.delete', params: z.object({ workspaceId: z.uuid() }),
      responses: { 200: { description: 'Deleted', body: z.object({ receipt: ReceiptDto }) } },
    },
    async ({ principal, requestId }) => {
      const receipt = await privacyServices(c).deleteWorkspace.execute({ workspaceId: principal.workspaceId, actor: { kind: 'user', id: principal.userId }, requestId });
      return { status: 200, body: { receipt: receiptDto(receipt) } };
    },
  ),
];
