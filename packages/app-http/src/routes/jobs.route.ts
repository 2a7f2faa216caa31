import type { Container } from 'inversify';
import { z } from 'zod';
import { defineRoute } from '../http/route.js';
import { HttpProblem } from '../http/problem.js';
import { TOKENS } from '../tokens.js';

const FailedJob = z.object({
  id: z.string(), queue: z.string(), reason: z.string(), permanent: z.boolean(), attempts: z.number().int(), createdAt: z.iso.datetime(), failedAt: z.iso.datetime(),
}).meta({ id: 'FailedJob', description: 'A background job that exhausted its retries (its payload is not shown).' });

const workspaceParams = z.object({ workspaceId: z.uuid() });

export const jobsRoutes = (c: Container) => [
  defineRoute({
    method: 'get', path: '/api/workspaces/:workspaceId/jobs/failed', summary: 'List failed background jobs (dead letters)', tags: ['jobs'],
    auth: 'session', permission: 'jobs.manage', params: workspaceParams,
    query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(50) }),
    responses: { 200: { description: 'Failed jobs, newest first', body: z.object({ items: z.array(FailedJob) }) } },
  }, async ({ principal, query }) => {
    const jobs = await c.get(TOKENS.FailedJobs).list(principal.workspaceId, { limit: query.limit });
    return { status: 200, body: { items: jobs.map((j) => ({ id: j.id, queue: j.queue, reason: j.reason, permanent: j.permanent, attempts: j.attempts, createdAt: j.createdAt.toISOString(), failedAt: j.failedAt.toISOString() })) } };
  }),
  defineRoute({
    method: 'post', path: '/api/workspaces/:workspaceId/jobs/failed/:jobId/retry', summary: 'Retry a failed background job', tags: ['jobs'],
    auth: 'session', permission: 'jobs.manage', params: workspaceParams.extend({ jobId: z.uuid() }),
    responses: { 202: { description: 'Queued again', body: z.object({ retried: z.literal(true) }) } },
    problems: ['not-found'],
  }, async ({ principal, params }) => {
    if (!(await c.get(TOKENS.FailedJobs).retry(principal.workspaceId, params.jobId))) throw HttpProblem.notFound();
    return { status: 202, body: { retried: true as const } };
  }),
];
