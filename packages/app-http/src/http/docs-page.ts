import type { JsonSchema, OpenApiDocument, OpenApiOperation } from './openapi.js';

const escapeHtml = (value: string): string =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const json = (value: unknown): string => escapeHtml(JSON.stringify(value, null, 2));

const anchor = (operationId: string): string => `op-${operationId.replace(/[^A-Za-z0-9_-]/g, '-')}`;

/**
 * The API reference as one self-contained page rendered from the OpenAPI document: no script, no
 * CDN, nothing fetched, so it works offline on a self-hosted box and under helmet's default CSP.
 */
export function renderDocsPage(doc: OpenApiDocument): string {
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ path, method, op })),
  );
  const byTag = new Map<string, typeof operations>();
  for (const entry of operations) {
    for (const tag of entry.op.tags.length > 0 ? entry.op.tags : ['other']) byTag.set(tag, [...(byTag.get(tag) ?? []), entry]);
  }

  const toc = [...byTag]
    .map(([tag, entries]) => `<li>${escapeHtml(tag)}<ul>${entries.map(({ path, method, op }) => `<li><a href="#${anchor(op.operationId)}"><code>${method.toUpperCase()} ${escapeHtml(path)}</code></a> ${escapeHtml(op.summary)}</li>`).join('')}</ul></li>`)
    .join('');

  const sections = [...byTag]
    .map(([tag, entries]) => `<h2>${escapeHtml(tag)}</h2>${entries.map(({ path, method, op }) => renderOperation(path, method, op)).join('')}`)
    .join('');

  const schemas = Object.entries(doc.components.schemas)
    .map(([name, schema]) => `<h3 id="schema-${escapeHtml(name)}">${escapeHtml(name)}</h3><pre>${json(schema)}</pre>`)
    .join('');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(doc.info.title)} ${escapeHtml(doc.info.version)}: API reference</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:62rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f}
code,pre{font:13px/1.4 ui-monospace,monospace}pre{background:#f5f5f7;padding:.75rem;overflow:auto;border-radius:6px}
section.op{border-top:1px solid #ddd;padding:.5rem 0 1rem}.method{font-weight:700;text-transform:uppercase}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
</style>
</head>
<body>
<h1>${escapeHtml(doc.info.title)} <small>${escapeHtml(doc.info.version)}</small></h1>
${doc.info.description ? `<p>${escapeHtml(doc.info.description)}</p>` : ''}
<p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI ${doc.openapi}). Errors are
<code>application/problem+json</code> (RFC 9457); switch on <code>type</code>.</p>
<nav><ul>${toc}</ul></nav>
${sections}
<h2>Schemas</h2>
${schemas}
</body>
</html>
`;
}

function renderOperation(path: string, method: string, op: OpenApiOperation): string {
  const access = op.security && op.security.length > 0 ? `Session required${op['x-permission'] ? `; permission <code>${escapeHtml(op['x-permission'])}</code>` : ''}.` : 'Public.';
  const parameters = op.parameters && op.parameters.length > 0
    ? `<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>required</th><th>schema</th><th>description</th></tr>${op.parameters
        .map((p) => `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${p.in}</td><td>${p.required ? 'yes' : 'no'}</td><td><code>${escapeHtml(JSON.stringify(p.schema))}</code></td><td>${escapeHtml(p.description ?? '')}</td></tr>`)
        .join('')}</table>`
    : '';
  const body = op.requestBody
    ? `<h4>Request body</h4>${Object.entries(op.requestBody.content).map(([type, { schema }]) => schemaBlock(type, schema)).join('')}`
    : '';
  const responses = Object.entries(op.responses)
    .map(([status, response]) => `<li><strong>${status}</strong> ${escapeHtml(response.description)}${Object.entries(response.content ?? {}).map(([type, { schema }]) => schemaBlock(type, schema)).join('')}</li>`)
    .join('');
  return `<section class="op" id="${anchor(op.operationId)}">
<h3><span class="method">${escapeHtml(method)}</span> <code>${escapeHtml(path)}</code></h3>
<p>${escapeHtml(op.summary)}${op.description ? `<br>${escapeHtml(op.description)}` : ''}</p>
<p>${access} Operation id <code>${escapeHtml(op.operationId)}</code>.</p>
${parameters}${body}<h4>Responses</h4><ul>${responses}</ul>
</section>`;
}

function schemaBlock(contentType: string, schema: JsonSchema): string {
  const ref = typeof schema['$ref'] === 'string' ? schema['$ref'].replace('#/components/schemas/', '') : undefined;
  return ref !== undefined
    ? `<p><code>${escapeHtml(contentType)}</code>: <a href="#schema-${escapeHtml(ref)}">${escapeHtml(ref)}</a></p>`
    : `<p><code>${escapeHtml(contentType)}</code></p><pre>${json(schema)}</pre>`;
}
