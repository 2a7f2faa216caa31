import { z } from 'zod';
import type { Container } from 'inversify';
import { CONSENT_PURPOSES, Ids, type Contact, type UserId, type WorkspaceId } from '@palette/domain';
import { decodeCursor, pageFrom, pageOf, pageQuery } from '../http/pagination.js';
import { HttpProblem } from '../http/problem.js';
import { defineRoute } from '../http/route.js';
import { enqueueExport, exportDto, ExportDto, privacyServices, receiptDto, ReceiptDto } from './privacy.route.js';

const ContactSummary = z
  .object({
    id: z.uuid(),
    username: z.string().nullable(),
    displayName: z.string().nullable(),
    restrictions: z.object({ aiProcessingObjected: z.boolean(), processingRestricted: z.boolean() }),
    lastInteractionAt: z.iso.datetime(),
    anonymized: z.boolean(),
  })
  .meta({ id: 'ContactSummary', description: 'A customer who wrote to the workspace; anonymised contacts keep only their random id.' });

const ConsentEntryDto = z.object({
  purpose: z.enum(CONSENT_PURPOSES), decision: z.enum(['granted', 'withdrawn']),
  source: z.enum(['customer_message', 'merchant_dashboard', 'contact_request', 'system']), at: z.iso.datetime(), note: z.string().optional(),
});

const ContactDetail = ContactSummary.extend({
  consentLedger: z.array(ConsentEntryDto),
  consent: z.record(z.enum(CONSENT_PURPOSES), z.enum(['granted', 'withdrawn', 'unknown'])),
  version: z.number().int(),
}).meta({ id: 'ContactDetail', description: 'A contact with its consent ledger and restriction flags.' });

const summary = (k: Contact): z.input<typeof ContactSummary> => ({
  id: k.id, username: k.username, displayName: k.displayName, restrictions: { ...k.restrictions }, lastInteractionAt: k.lastInteractionAt.toISOString(), anonymized: k.isAnonymized,
});
const detail = (k: Contact): z.input<typeof ContactDetail> => ({
  ...summary(k),
  consentLedger: k.consentLedger.map((e) => ({ purpose: e.purpose, decision: e.decision, source: e.source, at: e.at.toISOString(), ...(e.note === undefined ? {} : { note: e.note }) })),
  consent: Object.fromEntries(CONSENT_PURPOSES.map((p) => [p, k.consentFor(p)])) as Record<(typeof CONSENT_PURPOSES)[number], 'granted' | 'withdrawn' | 'unknown'>,
  version: k.version,
});

const ContactParams = z.object({ workspaceId: z.uuid(), contactId: z.uuid() });

/**
 * A merchant's change to one contact (correction, restriction, consent): the change and its audit
 * entry commit together, and the entry names the fields or flags, never their values' personal data.
 */
async function changeContact(
  c: Container,
  at: { principal: { workspaceId: WorkspaceId; userId: UserId }; contactId: string; requestId: string },
  change: (contact: Contact, now: Date) => { action: string; details: Record<string, string | boolean> },
): Promise<Contact> {
  const { repos, clock, ids } = privacyServices(c);
  const contact = await repos.uow.run(async () => {
    const k = await repos.contacts.get(at.principal.workspaceId, Ids.contact(at.contactId));
    if (!k) return null;
    const now = clock.now();
    const { action, details } = change(k, now);
    await repos.contacts.save(k);
    await repos.audit.append({
      id: Ids.auditEntry(ids.next()), workspaceId: at.principal.workspaceId, actor: { kind: 'user', id: at.principal.userId }, action,
      target: { type: 'contact', id: k.id }, at: now, requestId: at.requestId, details,
    });
    return k;
  });
  if (!contact) throw HttpProblem.notFound();
  return contact;
}

export const contactsRoutes = (c: Container) => [
  defineRoute(
    {
      method: 'get', path: '/api/workspaces/:workspaceId/contacts', summary: 'Contacts, in id order', tags: ['contacts'],
      auth: 'session', permission: 'contacts.read', params: z.object({ workspaceId: z.uuid() }), query: z.object({ ...pageQuery }),
      responses: { 200: { description: 'One page of contacts', body: pageOf(ContactSummary, 'ContactPage') } },
    },
    async ({ principal, query }) => {
      const after = decodeCursor(query.cursor);
      if (after !== undefined && !z.uuid().safeParse(after.id).success) {
        throw HttpProblem.validation([{ path: 'query.cursor', message: 'is not a cursor this API issued', code: 'invalid_cursor' }]);
      }
      const { contacts } = privacyServices(c);
      const rows = await contacts.list(principal.workspaceId, after === undefined ? null : Ids.contact(after.id), query.limit + 1);
      const page = pageFrom(rows, query.limit, (k) => ({ sortKey: k.id, id: k.id }));
      return { status: 200, body: { items: page.items.map(summary), nextCursor: page.nextCursor } };
    },
  ),
  defineRoute(
    {
      method: 'get', path: '/api/workspaces/:workspaceId/contacts/:contactId', summary: 'A contact with its consent ledger', tags: ['contacts'],
      auth: 'session', permission: 'contacts.read', params: ContactParams, responses: { 200: { description: 'The contact', body: ContactDetail } },
    },
    async ({ principal, params }) => {
      const contact = await privacyServices(c).repos.contacts.get(principal.workspaceId, Ids.contact(params.contactId));
      if (!contact) throw HttpProblem.notFound();
      return { status: 200, body: detail(contact) };
    },
  ),
  defineRoute(
    {
      method: 'patch', path: '/api/workspaces/:workspaceId/contacts/:contactId', summary: 'Correct a contact\'s handle or name',
      description: 'The right of correction, handled by the merchant. Audited by field name, never the values.',
      tags: ['contacts', 'privacy'], auth: 'session', permission: 'contacts.edit', params: ContactParams,
      body: z.object({ username: z.string().trim().min(1).max(64).nullable().optional(), displayName: z.string().trim().min(1).max(120).nullable().optional() }).strict()
        .refine((b) => b.username !== undefined || b.displayName !== undefined, 'give username, displayName or both'),
      responses: { 200: { description: 'The corrected contact', body: ContactDetail } },
      problems: ['conflict'],
    },
    async ({ principal, params, body, requestId }) => {
      const contact = await changeContact(c, { principal, contactId: params.contactId, requestId }, (k, now) => {
        if (k.isAnonymized) throw HttpProblem.conflict('The contact was anonymised: there is nothing left to correct.', 'contact.anonymized');
        k.updateProfile({ ...(body.username === undefined ? {} : { username: body.username }), ...(body.displayName === undefined ? {} : { displayName: body.displayName }) }, now);
        return { action: 'contact.corrected', details: { fields: Object.keys(body).sort().join(',') } };
      });
      return { status: 200, body: detail(contact) };
    },
  ),
  defineRoute(
    {
      method: 'put', path: '/api/workspaces/:workspaceId/contacts/:contactId/restrictions', summary: 'Set restriction and objection flags',
      description: 'Objection (Art. 21): the contact\'s messages never reach an LLM. Restriction (Art. 18): stored only; no assistant, automation or analytics. Audited.',
      tags: ['contacts', 'privacy'], auth: 'session', permission: 'contacts.privacy', params: ContactParams,
      body: z.object({ aiProcessingObjected: z.boolean(), processingRestricted: z.boolean() }).strict(),
      responses: { 200: { description: 'The contact', body: ContactDetail } },
    },
    async ({ principal, params, body, requestId }) => {
      const contact = await changeContact(c, { principal, contactId: params.contactId, requestId }, (k, now) => {
        if (body.aiProcessingObjected !== k.restrictions.aiProcessingObjected) {
          if (body.aiProcessingObjected) k.objectToAiProcessing(now, 'merchant_dashboard');
          else k.liftAiObjection(now, 'merchant_dashboard');
        }
        if (body.processingRestricted !== k.restrictions.processingRestricted) k.restrictProcessing(body.processingRestricted, now);
        return { action: 'contact.restrictions_set', details: { aiProcessingObjected: body.aiProcessingObjected, processingRestricted: body.processingRestricted } };
      });
      return { status: 200, body: detail(contact) };
    },
  ),
  defineRoute(
    {
      method: 'post', path: '/api/workspaces/:workspaceId/contacts/:contactId/consent', summary: 'Record a consent decision (grant or withdrawal)',
      description: 'Appends to the contact\'s consent ledger; entries are never edited. Withdrawing `ai_processing` keeps the assistant away from the contact. Audited.',
      tags: ['contacts', 'privacy'], auth: 'session', permission: 'contacts.privacy', params: ContactParams,
      body: z.object({
        purpose: z.enum(CONSENT_PURPOSES), decision: z.enum(['granted', 'withdrawn']),
        source: z.enum(['merchant_dashboard', 'contact_request']).default('contact_request'), note: z.string().trim().min(1).max(200).optional(),
      }).strict(),
      responses: { 201: { description: 'The contact with the new entry', body: ContactDetail } },
    },
    async ({ principal, params, body, requestId }) => {
      const contact = await changeContact(c, { principal, contactId: params.contactId, requestId }, (k, now) => {
        k.recordConsent({ purpose: body.purpose, decision: body.decision, source: body.source, at: now, ...(body.note === undefined ? {} : { note: body.note }) });
        return { action: 'contact.consent_recorded', details: { purpose: body.purpose, decision: body.decision } };
      });
      return { status: 201, body: detail(contact) };
    },
  ),
  defineRoute(
    {
      method: 'post', path: '/api/workspaces/:workspaceId/contacts/:contactId/erasure', summary: 'Erase a contact',
      description: 'DMs, attachments metadata, reactions, AI records and profile deleted at once; orders anonymised, not deleted (tax law). '
        + 'If the customer writes again they start as a new contact. Returns the receipt.',
      tags: ['contacts', 'privacy'], auth: 'session', permission: 'contacts.privacy', params: ContactParams,
      responses: { 200: { description: 'Erased', body: z.object({ receipt: ReceiptDto, requestId: z.uuid() }) } },
    },
    async ({ principal, params, requestId }) => {
      const result = await privacyServices(c).eraseContact.execute({
        workspaceId: principal.workspaceId, contactId: Ids.contact(params.contactId), actor: { kind: 'user', id: principal.userId }, requestId,
      });
      if (!result.ok) throw HttpProblem.notFound();
      return { status: 200, body: { receipt: receiptDto(result.value.receipt), requestId: result.value.requestId } };
    },
  ),
  defineRoute(
    {
      method: 'post', path: '/api/workspaces/:workspaceId/contacts/:contactId/exports', summary: 'Export a contact\'s data',
      description: 'Profile, conversations, messages, orders (JSON and CSV), consent ledger and AI decisions, as a zip built by a job; '
        + 'downloadable by the requesting member only, for 7 days.',
      tags: ['contacts', 'privacy'], auth: 'session', permission: 'exports.create', params: ContactParams,
      responses: { 202: { description: 'Requested', body: ExportDto } },
    },
    async ({ principal, params, requestId }) => {
      const { repos, exports, ids, clock, jobs } = privacyServices(c);
      const record = await repos.uow.run(async () => {
        const k = await repos.contacts.get(principal.workspaceId, Ids.contact(params.contactId));
        if (!k) return null;
        const now = clock.now();
        const r = await exports.request({ id: ids.next(), workspaceId: principal.workspaceId, requestedBy: principal.userId, subject: { kind: 'contact', workspaceId: principal.workspaceId, contactId: k.id }, now });
        await repos.audit.append({
          id: Ids.auditEntry(ids.next()), workspaceId: principal.workspaceId, actor: { kind: 'user', id: principal.userId }, action: 'contact.export_requested',
          target: { type: 'contact', id: k.id }, at: now, requestId, details: { exportId: r.id },
        });
        return r;
      });
      if (!record) throw HttpProblem.notFound();
      await enqueueExport(jobs, record.id);
      return { status: 202, body: exportDto(record) };
    },
  ),
];
