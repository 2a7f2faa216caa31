import { z } from 'zod';
import { SECURE_SESSION_COOKIE_NAME, SESSION_COOKIE_NAME } from './auth.js';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, problemTypeUri, ProblemSchema } from './problem.js';
import type { ProblemSlug } from './problem.js';
import { automaticProblems, openApiPath, pathParameterNames } from './route.js';
import type { ObjectSchema, RouteDefinition, RouteTable } from './route.js';

export type JsonSchema = { [key: string]: unknown };

export interface OpenApiInfo {
  readonly title: string;
  readonly version: string;
  readonly description?: string;
  /** The public URL; omitted, clients resolve paths against wherever they fetched the document. */
  readonly serverUrl?: string;
}

export interface OpenApiParameter {
  readonly name: string;
  readonly in: 'path' | 'query';
  readonly required: boolean;
  readonly description?: string;
  readonly schema: JsonSchema;
}

export interface OpenApiOperation {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly parameters?: readonly OpenApiParameter[];
  readonly requestBody?: { readonly required: true; readonly content: Record<string, { readonly schema: JsonSchema }> };
  readonly responses: Record<string, { readonly description: string; readonly content?: Record<string, { readonly schema: JsonSchema }> }>;
  readonly security?: ReadonlyArray<Record<string, string[]>>;
  /** The domain permission the route requires (Palette extension). */
  readonly 'x-permission'?: string;
}

export interface OpenApiDocument {
  readonly openapi: '3.1.0';
  readonly info: { readonly title: string; readonly version: string; readonly description?: string; readonly license: { name: string; identifier: string } };
  readonly jsonSchemaDialect: string;
  readonly servers?: ReadonlyArray<{ readonly url: string }>;
  readonly tags: ReadonlyArray<{ readonly name: string }>;
  readonly paths: Record<string, Record<string, OpenApiOperation>>;
  readonly components: {
    readonly schemas: Record<string, JsonSchema>;
    readonly securitySchemes: Record<string, JsonSchema>;
  };
}

const DIALECT = 'https://json-schema.org/draft/2020-12/schema';
const COMPONENT_PREFIX = '#/components/schemas/';

/**
 * Converts zod schemas with zod's own `z.toJSONSchema` (JSON Schema 2020-12, OpenAPI 3.1's dialect)
 * and hoists every schema named with `.meta({ id })` into `components.schemas`, so a DTO shared by
 * many routes is written once and referenced.
 */
class SchemaCollector {
  readonly components: Record<string, JsonSchema> = {};
  readonly #signatures = new Map<string, { signature: string; io: 'input' | 'output' }>();

  /**
   * `input` for what clients send (defaults are optional, coercions accept their input type);
   * `output` for what we answer (what the schema produces).
   */
  convert(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const { $schema: _dialect, $defs, ...root } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
    const renames = new Map<string, string>();
    for (const [id, definition] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) {
      renames.set(id, this.#register(id, definition, io));
    }
    const rewrite = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(rewrite);
      if (node === null || typeof node !== 'object') return node;
      return Object.fromEntries(
        Object.entries(node).map(([key, value]) => {
          if (key === '$ref' && typeof value === 'string' && value.startsWith('#/$defs/')) {
            const id = value.slice('#/$defs/'.length);
            return [key, COMPONENT_PREFIX + (renames.get(id) ?? id)];
          }
          return [key, rewrite(value)];
        }),
      );
    };
    for (const [, name] of renames) this.components[name] = rewrite(this.components[name]) as JsonSchema;
    return rewrite(root) as JsonSchema;
  }

  /** Follows a top-level `$ref` into components (a root schema with an id converts to one). */
  resolve(schema: JsonSchema): JsonSchema {
    const ref = schema['$ref'];
    if (typeof ref === 'string' && ref.startsWith(COMPONENT_PREFIX)) return this.components[ref.slice(COMPONENT_PREFIX.length)] ?? schema;
    return schema;
  }

  #register(id: string, definition: JsonSchema, io: 'input' | 'output'): string {
    const signature = JSON.stringify(definition);
    const take = (name: string): string => {
      this.#signatures.set(name, { signature, io });
      this.components[name] = definition;
      return name;
    };
    const fits = (name: string): boolean => {
      const existing = this.#signatures.get(name);
      return existing === undefined || existing.signature === signature;
    };
    // zod names unnamed recursive schemas `__schema0` in every conversion: number them apart.
    if (id.startsWith('__schema')) {
      for (let n = 1; ; n++) if (fits(`Schema${n}`)) return take(`Schema${n}`);
    }
    if (fits(id)) return take(id);
    // A named schema reads differently as input and as output (defaults, strictness): keep both.
    const variant = `${id}${io === 'input' ? 'Input' : 'Output'}`;
    if (this.#signatures.get(id)?.io !== io && fits(variant)) return take(variant);
    throw new Error(`OpenAPI: several different schemas are named "${id}"; give each a unique .meta({ id })`);
  }
}

/** Builds the OpenAPI 3.1 document for a route table. Deterministic: same table, same document. */
export function openApiDocument(routes: RouteTable, info: OpenApiInfo): OpenApiDocument {
  const schemas = new SchemaCollector();
  const problemRef = { $ref: COMPONENT_PREFIX + 'Problem' };
  schemas.convert(ProblemSchema, 'output');

  const paths: Record<string, Record<string, OpenApiOperation>> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] = { ...paths[path], [route.method]: operation(route, schemas, problemRef) };
  }
  const tags = [...new Set(routes.flatMap((r) => r.tags))].sort().map((name) => ({ name }));

  return {
    openapi: '3.1.0',
    info: {
      title: info.title,
      version: info.version,
      ...(info.description === undefined ? {} : { description: info.description }),
      license: { name: 'AGPL-3.0-only', identifier: 'AGPL-3.0-only' },
    },
    jsonSchemaDialect: DIALECT,
    ...(info.serverUrl === undefined ? {} : { servers: [{ url: info.serverUrl }] }),
    tags,
    paths,
    components: {
      schemas: schemas.components,
      securitySchemes: {
        session: {
          type: 'apiKey',
          in: 'cookie',
          // The server names the cookie after the scheme the browser used; a served document names the one its server URL gets.
          name: info.serverUrl?.startsWith('https:') ? SECURE_SESSION_COOKIE_NAME : SESSION_COOKIE_NAME,
          description: `The dashboard session cookie, set by POST /api/auth/login: \`${SECURE_SESSION_COOKIE_NAME}\` over HTTPS, \`${SESSION_COOKIE_NAME}\` over plain HTTP. State-changing requests must come from the app's own origin.`,
        },
      },
    },
  };
}

function operation(route: RouteDefinition, schemas: SchemaCollector, problemRef: JsonSchema): OpenApiOperation {
  const parameters = [
    ...parametersOf(route.params, 'path', schemas, pathParameterNames(route.path)),
    ...parametersOf(route.query, 'query', schemas, []),
  ];

  const responses: OpenApiOperation['responses'] = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    const content = spec.body
      ? { [spec.contentType ?? 'application/json']: { schema: schemas.convert(spec.body, 'output') } }
      : spec.contentType
        ? { [spec.contentType]: { schema: { type: 'string' } } }
        : undefined;
    responses[status] = { description: spec.description, ...(content ? { content } : {}) };
  }
  const bySlugStatus = new Map<number, ProblemSlug[]>();
  for (const slug of new Set([...automaticProblems(route), ...route.problems])) {
    const status = PROBLEM_TYPES[slug].status;
    bySlugStatus.set(status, [...(bySlugStatus.get(status) ?? []), slug]);
  }
  for (const [status, slugs] of [...bySlugStatus].sort(([a], [b]) => a - b)) {
    responses[String(status)] = {
      description: slugs.map((slug) => `${PROBLEM_TYPES[slug].title} (${problemTypeUri(slug)})`).join('; '),
      content: { [PROBLEM_CONTENT_TYPE]: { schema: problemRef } },
    };
  }

  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description === undefined ? {} : { description: route.description }),
    tags: route.tags,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.bodyType === 'csv' ? { requestBody: { required: true as const, content: { 'text/csv': { schema: { type: 'string', format: 'binary' } } } } } : {}),
    ...(route.body ? { requestBody: { required: true as const, content: { [route.bodyType === 'form' ? 'application/x-www-form-urlencoded' : 'application/json']: { schema: schemas.convert(route.body, 'input') } } } } : {}),
    responses,
    ...(route.auth !== 'public' ? { security: [{ session: [] }] } : {}),
    ...(route.permission === undefined ? {} : { 'x-permission': route.permission }),
  };
}

function parametersOf(schema: ObjectSchema | undefined, location: 'path' | 'query', schemas: SchemaCollector, pathOrder: string[]): OpenApiParameter[] {
  if (schema === undefined) return [];
  const object = schemas.resolve(schemas.convert(schema, 'input'));
  const properties = (object['properties'] ?? {}) as Record<string, JsonSchema>;
  const required = new Set((object['required'] ?? []) as string[]);
  const names = location === 'path' ? pathOrder : Object.keys(properties);
  return names.map((name) => {
    const { description, ...propertySchema } = properties[name] ?? {};
    return {
      name,
      in: location,
      // OpenAPI requires path parameters to be required, whatever the schema says.
      required: location === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: propertySchema,
    };
  });
}
