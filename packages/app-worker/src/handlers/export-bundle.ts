import { z } from 'zod';
import { Ids } from '@palette/domain';
import { buildExportZip, type ExportSection } from '@palette/adapters/persistence';
import type { JobHandler } from '@palette/adapters/queue';
import type { Logger } from '../logger.js';
import type { PrivacyServices } from './retention-sweep.js';

export const ExportBundlePayload = z.object({ exportId: z.uuid() }).strip();

/**
 * Builds one export bundle. Claimed with SKIP LOCKED, so a duplicate job or a second worker finds
 * nothing to do; a subject that no longer exists (erased meanwhile) marks the export failed.
 */
export async function buildExport(resolve: () => PrivacyServices, exportId: string): Promise<'built' | 'skipped' | 'failed'> {
  const services = resolve();
  const { repos, exports, ai, clock } = services;
  return repos.uow.run(async () => {
    const record = await exports.exports.claim(exportId);
    if (!record) return 'skipped' as const;
    const now = clock.now();
    let sections: ExportSection[] | null;
    if (record.subject.kind === 'contact') {
      const ws = Ids.workspace(record.subject.workspaceId);
      const contactId = Ids.contact(record.subject.contactId);
      sections = await exports.reader.contactSections(ws, contactId, await ai.listForContact(ws, contactId));
    } else {
      sections = await exports.reader.userSections(Ids.user(record.subject.userId));
    }
    if (!sections) {
      await exports.exports.fail(exportId, now);
      return 'failed' as const;
    }
    const { zip } = buildExportZip(record.subject.kind, sections, now, record.expiresAt);
    await exports.exports.complete(exportId, zip, now);
    return 'built' as const;
  });
}

export async function buildPendingExports(resolve: () => PrivacyServices, limit = 50): Promise<number> {
  const pending = await resolve().exports.exports.pendingIds(limit);
  let built = 0;
  for (const id of pending) if ((await buildExport(resolve, id)) === 'built') built++;
  return built;
}

export function exportBundleHandler(resolve: () => PrivacyServices, log: Logger): JobHandler {
  return async (job) => {
    const parsed = ExportBundlePayload.safeParse(job.data);
    if (!parsed.success) {
      log.warn({ jobId: job.id }, 'privacy.export-bundle payload without an export id; building every pending export');
      await buildPendingExports(resolve);
      return;
    }
    const outcome = await buildExport(resolve, parsed.data.exportId);
    log.info({ exportId: parsed.data.exportId, outcome }, 'export bundle');
  };
}
