import { useEffect, useState } from 'react';

/** A JSON Schema node as the API's OpenAPI 3.1 document writes them (zod's conversion). */
export interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly properties?: Record<string, JsonSchema>;
  readonly required?: readonly string[];
  readonly items?: JsonSchema;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly format?: string;
  readonly description?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly default?: unknown;
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
  readonly allOf?: readonly JsonSchema[];
  readonly $ref?: string;
}

export interface Operation {
  readonly summary?: string;
  readonly description?: string;
  readonly 'x-permission'?: string;
  readonly parameters?: ReadonlyArray<{ name: string; in: string; required?: boolean; schema?: JsonSchema }>;
  readonly requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  readonly responses?: Record<string, { content?: Record<string, { schema?: JsonSchema }> }>;
}

interface Document {
  readonly paths: Record<string, Record<string, Operation>>;
  readonly components?: { schemas?: Record<string, JsonSchema> };
}

/**
 * What this server offers, read from its own OpenAPI document. Pages for features whose routes
 * are not there say so instead of guessing; forms and tables follow the documented schemas.
 */
export class ApiCatalog {
  constructor(private readonly doc: Document) {}

  /** `template` is written as in the API (`/api/workspaces/:workspaceId/orders`). */
  operation(method: string, template: string): Operation | undefined {
    return this.doc.paths[toOpenApi(template)]?.[method.toLowerCase()];
  }

  has(method: string, template: string): boolean {
    return this.operation(method, template) !== undefined;
  }

  permission(method: string, template: string): string | undefined {
    return this.operation(method, template)?.['x-permission'];
  }

  requestSchema(method: string, template: string): JsonSchema | undefined {
    const schema = this.operation(method, template)?.requestBody?.content?.['application/json']?.schema;
    return schema ? this.resolve(schema) : undefined;
  }

  responseSchema(method: string, template: string): JsonSchema | undefined {
    const responses = this.operation(method, template)?.responses ?? {};
    const ok = Object.entries(responses).find(([status]) => status.startsWith('2'))?.[1];
    const schema = ok?.content?.['application/json']?.schema;
    return schema ? this.resolve(schema) : undefined;
  }

  /** Paths (in `:param` form) under a prefix, with their methods: used to find an order's transition routes. */
  pathsUnder(prefix: string): Array<{ path: string; methods: string[] }> {
    const openPrefix = toOpenApi(prefix);
    return Object.entries(this.doc.paths)
      .filter(([p]) => p.startsWith(openPrefix))
      .map(([p, ops]) => ({ path: p.replace(/\{(\w+)\}/g, ':$1'), methods: Object.keys(ops) }));
  }

  /** Paths answering `text/event-stream` (server-sent events), in `:param` form. */
  eventStreams(): string[] {
    return Object.entries(this.doc.paths)
      .filter(([, ops]) => Object.values(ops).some((op) => Object.values(op.responses ?? {}).some((r) => r.content?.['text/event-stream'] !== undefined)))
      .map(([p]) => p.replace(/\{(\w+)\}/g, ':$1'));
  }

  /** Follows `$ref`s and flattens `allOf`, one level of `anyOf: [X, null]` (nullable) too. */
  resolve(schema: JsonSchema, depth = 0): JsonSchema {
    if (depth > 8) return schema;
    if (schema.$ref) {
      const name = schema.$ref.replace('#/components/schemas/', '');
      const target = this.doc.components?.schemas?.[name];
      return target ? this.resolve(target, depth + 1) : {};
    }
    const variants = schema.anyOf ?? schema.oneOf;
    if (variants) {
      const nonNull = variants.filter((v) => v.type !== 'null');
      if (nonNull.length === 1 && nonNull[0]) return this.resolve(nonNull[0], depth + 1);
    }
    if (schema.allOf) {
      return schema.allOf.map((s) => this.resolve(s, depth + 1)).reduce<JsonSchema>(
        (acc, s) => ({ ...acc, ...s, properties: { ...acc.properties, ...s.properties }, required: [...(acc.required ?? []), ...(s.required ?? [])] }),
        {},
      );
    }
    return schema;
  }
}

const toOpenApi = (template: string) => template.replace(/:(\w+)/g, '{$1}');

let cached: Promise<ApiCatalog> | null = null;
let loadedAt = 0;
// Other features' routes arrive with server upgrades; a long-open tab re-reads the document now and then.
const MAX_AGE_MS = 5 * 60_000;

export function loadCatalog(force = false): Promise<ApiCatalog> {
  if (!cached || force || Date.now() - loadedAt > MAX_AGE_MS) {
    loadedAt = Date.now();
    cached = fetch('/api/openapi.json', { headers: { Accept: 'application/json' } })
      .then(async (res) => {
        if (!res.ok) throw new Error(`The API description answered ${res.status}`);
        return new ApiCatalog((await res.json()) as Document);
      })
      .catch((error: unknown) => {
        cached = null;
        throw error;
      });
  }
  return cached;
}

export function useCatalog(): { catalog: ApiCatalog | null; error: string | null } {
  const [state, setState] = useState<{ catalog: ApiCatalog | null; error: string | null }>({ catalog: null, error: null });
  useEffect(() => {
    let live = true;
    loadCatalog().then(
      (catalog) => live && setState({ catalog, error: null }),
      (error: unknown) => live && setState({ catalog: null, error: (error as Error).message }),
    );
    return () => {
      live = false;
    };
  }, []);
  return state;
}
