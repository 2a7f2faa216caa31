import type { Request } from 'express';
import type { z } from 'zod';
import type { FieldError } from './problem.js';
import { HttpProblem } from './problem.js';

/** Where an input came from; it prefixes every field path in a validation problem. */
export type InputPart = 'params' | 'query' | 'body';

export function fieldErrors(part: InputPart, issues: readonly z.core.$ZodIssue[]): FieldError[] {
  return issues.flatMap((issue): FieldError[] => {
    const at = [part, ...issue.path.map(String)].join('.');
    // zod reports unknown keys once, on the parent object; a form wants one error per field.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: `${at}.${key}`, message: 'Unknown field', code: issue.code }));
    }
    return [{ path: at, message: issue.message, code: issue.code }];
  });
}

export type Parsed<S extends z.ZodType> = { ok: true; value: z.output<S> } | { ok: false; errors: FieldError[] };

/** Parses one part without throwing, so a route can report params, query and body problems together. */
export async function parsePart<S extends z.ZodType>(part: InputPart, schema: S, value: unknown): Promise<Parsed<S>> {
  const result = await schema.safeParseAsync(value);
  return result.success ? { ok: true, value: result.data } : { ok: false, errors: fieldErrors(part, result.error.issues) };
}

async function parseOrThrow<S extends z.ZodType>(part: InputPart, schema: S, value: unknown): Promise<z.output<S>> {
  const parsed = await parsePart(part, schema, value);
  if (!parsed.ok) throw HttpProblem.validation(parsed.errors);
  return parsed.value;
}

/*
 * For hand-written Express handlers. Routes declared with defineRoute get all three for free and
 * are documented in OpenAPI; prefer that. Each throws a 400 `validation` problem, which Express 5
 * forwards from an async handler to the error middleware.
 */
export const validateParams = <S extends z.ZodType>(req: Request, schema: S) => parseOrThrow('params', schema, req.params);
export const validateQuery = <S extends z.ZodType>(req: Request, schema: S) => parseOrThrow('query', schema, req.query);
export const validateBody = <S extends z.ZodType>(req: Request, schema: S) => parseOrThrow('body', schema, req.body);
