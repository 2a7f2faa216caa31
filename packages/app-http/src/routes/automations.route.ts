import { z } from 'zod';
import type { Container } from 'inversify';
import {
  AUTOMATION_TRIGGERS, AUTOMATED_CHAT_DISCLOSURE, MAX_ICE_BREAKERS, validateRule, validateWelcome,
  type AutomationError, type AutomationRule, type WelcomeSettings, type WorkspaceId,
} from '@palette/domain';
import { HttpProblem } from '../http/problem.js';
import { defineRoute } from '../http/route.js';
import { assistantServices } from './assistant.route.js';

const Matcher = z.object({
  keywords: z.array(z.string().trim().min(1).max(100)).min(1).max(20),
  mode: z.enum(['contains', 'exact']).default('contains'),
  combine: z.enum(['any', 'all']).default('any'),
}).strict();

const Action = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('reply'), text: z.string().trim().min(1).max(1000) }).strict(),
  z.object({ kind: z.literal('handoff'), text: z.string().trim().min(1).max(1000).nullable().default(null) }).strict(),
]);

const RuleBody = z.object({
  name: z.string().trim().min(1).max(100),
  enabled: z.boolean().default(true),
  trigger: z.enum(AUTOMATION_TRIGGERS),
  matcher: Matcher.nullable().default(null),
  postId: z.string().regex(/^[0-9]{1,30}$/).nullable().default(null),
  action: Action,
  priority: z.number().int().min(-1000).max(1000).default(100),
}).strict();

const RuleDto = z.object({
  id: z.uuid(), name: z.string(), enabled: z.boolean(), trigger: z.enum(AUTOMATION_TRIGGERS),
  matcher: z.object({ keywords: z.array(z.string()), mode: z.enum(['contains', 'exact']), combine: z.enum(['any', 'all']) }).nullable(),
  postId: z.string().nullable(),
  action: z.object({ kind: z.enum(['reply', 'handoff']), text: z.string().nullable() }),
  priority: z.number().int(), createdAt: z.iso.datetime(), updatedAt: z.iso.datetime(),
}).meta({ id: 'AutomationRule', description: 'A keyword, comment-to-DM or story-mention rule. Rules run before the assistant, never on echoes or human-owned conversations.' });

const WelcomeBody = z.object({
  greetingEnabled: z.boolean(),
  greetingText: z.string().max(600),
  iceBreakers: z.array(z.string().trim().min(1).max(80)).max(MAX_ICE_BREAKERS),
}).strict();

const WelcomeDto = z.object({
  greetingEnabled: z.boolean(), greetingText: z.string(), iceBreakers: z.array(z.string()),
  disclosure: z.string(), updatedAt: z.iso.datetime().nullable(),
}).meta({ id: 'AutomationWelcome', description: 'The greeting of a new conversation (the automated-chat disclosure is always appended) and up to 4 ice breakers.' });

const ruleDto = (r: AutomationRule): z.input<typeof RuleDto> => ({
  id: r.id, name: r.name, enabled: r.enabled, trigger: r.trigger, matcher: r.matcher ? { keywords: [...r.matcher.keywords], mode: r.matcher.mode, combine: r.matcher.combine } : null,
  postId: r.postId, action: { kind: r.action.kind, text: r.action.text }, priority: r.priority, createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString(),
});

const welcomeDto = (w: WelcomeSettings | null): z.input<typeof WelcomeDto> => ({
  greetingEnabled: w?.greetingEnabled ?? true, greetingText: w?.greetingText ?? '', iceBreakers: [...(w?.iceBreakers ?? [])],
  disclosure: AUTOMATED_CHAT_DISCLOSURE.en, updatedAt: w?.updatedAt.toISOString() ?? null,
});

function rejected(e: AutomationError): HttpProblem {
  switch (e.kind) {
    case 'InvalidRule': return HttpProblem.unprocessable(e.reason, 'automation.invalid_rule');
    case 'TooManyIceBreakers': return HttpProblem.unprocessable(`At most ${e.max} ice breakers.`, 'automation.too_many_ice_breakers');
  }
}

function ruleFrom(ws: WorkspaceId, id: string, body: z.output<typeof RuleBody>, createdAt: Date, now: Date): AutomationRule {
  const rule: AutomationRule = {
    id, workspaceId: ws, name: body.name, enabled: body.enabled, trigger: body.trigger, matcher: body.trigger === 'story_mention' ? null : body.matcher,
    postId: body.postId, action: body.action, priority: body.priority, createdAt, updatedAt: now,
  };
  const valid = validateRule(rule);
  if (!valid.ok) throw rejected(valid.error);
  return rule;
}

const WorkspaceParams = z.object({ workspaceId: z.uuid() });
const RuleParams = z.object({ workspaceId: z.uuid(), ruleId: z.uuid() });

export const automationsRoutes = (c: Container) => [
  defineRoute(
    {
      method: 'get', path: '/api/workspaces/:workspaceId/automations/rules', summary: 'Automation rules, in the order they run', tags: ['automations'],
      auth: 'session', permission: 'assistant.configure', params: WorkspaceParams,
      responses: { 200: { description: 'The rules', body: z.object({ items: z.array(RuleDto) }) } },
    },
    async ({ principal }) => ({ status: 200, body: { items: (await assistantServices(c).records.listRules(principal.workspaceId)).map(ruleDto) } }),
  ),
  defineRoute(
    {
      method: 'post', path: '/api/workspaces/:workspaceId/automations/rules', summary: 'Add an automation rule', tags: ['automations'],
      description: 'Keyword rules (contains/exact, any/all, accent- and case-insensitive) reply or hand off; a comment rule sends one private reply to a matching comment on its post; a story-mention rule thanks the customer.',
      auth: 'session', permission: 'assistant.configure', params: WorkspaceParams, body: RuleBody,
      responses: { 201: { description: 'The rule', body: RuleDto } }, problems: ['unprocessable'],
    },
    async ({ principal, body }) => {
      const { repos, records, clock, ids } = assistantServices(c);
      const now = clock.now();
      const rule = ruleFrom(principal.workspaceId, ids.next(), body, now, now);
      await repos.uow.run(() => records.saveRule(rule));
      return { status: 201, body: ruleDto(rule) };
    },
  ),
  defineRoute(
    {
      method: 'put', path: '/api/workspaces/:workspaceId/automations/rules/:ruleId', summary: 'Replace an automation rule', tags: ['automations'],
      auth: 'session', permission: 'assistant.configure', params: RuleParams, body: RuleBody,
      responses: { 200: { description: 'The rule', body: RuleDto } }, problems: ['unprocessable'],
    },
    async ({ principal, params, body }) => {
      const { repos, records, clock } = assistantServices(c);
      const rule = await repos.uow.run(async () => {
        const current = await records.getRule(principal.workspaceId, params.ruleId);
        if (!current) return null;
        const next = ruleFrom(principal.workspaceId, current.id, body, current.createdAt, clock.now());
        await records.saveRule(next);
        return next;
      });
      if (!rule) throw HttpProblem.notFound();
      return { status: 200, body: ruleDto(rule) };
    },
  ),
  defineRoute(
    {
      method: 'delete', path: '/api/workspaces/:workspaceId/automations/rules/:ruleId', summary: 'Delete an automation rule', tags: ['automations'],
      auth: 'session', permission: 'assistant.configure', params: RuleParams, responses: { 204: { description: 'Deleted' } },
    },
    async ({ principal, params }) => {
      const { repos, records } = assistantServices(c);
      const deleted = await repos.uow.run(() => records.deleteRule(principal.workspaceId, params.ruleId));
      if (!deleted) throw HttpProblem.notFound();
      return { status: 204 };
    },
  ),
  defineRoute(
    {
      method: 'get', path: '/api/workspaces/:workspaceId/automations/welcome', summary: 'Greeting and ice breakers', tags: ['automations'],
      auth: 'session', permission: 'assistant.configure', params: WorkspaceParams, responses: { 200: { description: 'The welcome settings', body: WelcomeDto } },
    },
    async ({ principal }) => ({ status: 200, body: welcomeDto(await assistantServices(c).records.getWelcome(principal.workspaceId)) }),
  ),
  defineRoute(
    {
      method: 'put', path: '/api/workspaces/:workspaceId/automations/welcome', summary: 'Set the greeting and ice breakers', tags: ['automations'],
      description: 'An empty greeting uses the default one. The automated-chat disclosure is always appended to what customers see.',
      auth: 'session', permission: 'assistant.configure', params: WorkspaceParams, body: WelcomeBody,
      responses: { 200: { description: 'The welcome settings', body: WelcomeDto } }, problems: ['unprocessable'],
    },
    async ({ principal, body }) => {
      const { repos, records, clock } = assistantServices(c);
      const valid = validateWelcome(body);
      if (!valid.ok) throw rejected(valid.error);
      const welcome: WelcomeSettings = { workspaceId: principal.workspaceId, greetingEnabled: body.greetingEnabled, greetingText: body.greetingText, iceBreakers: body.iceBreakers, updatedAt: clock.now() };
      await repos.uow.run(() => records.saveWelcome(welcome));
      return { status: 200, body: welcomeDto(welcome) };
    },
  ),
];

