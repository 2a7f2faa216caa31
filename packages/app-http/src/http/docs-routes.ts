import { defineRoute } from './route.js';
import type { RouteDefinition } from './route.js';
import type { OpenApiDocument } from './openapi.js';

/**
 * The document describes the whole table, these two routes included, so it can only exist once
 * the table does: the routes read it through a getter filled in by createApp.
 */
export function apiDocsRoutes(docs: () => { readonly document: OpenApiDocument; readonly html: string }): RouteDefinition[] {
  return [
    defineRoute(
      {
        method: 'get',
        path: '/api/openapi.json',
        summary: 'This API as an OpenAPI 3.1 document',
        tags: ['documentation'],
        auth: 'public',
        responses: { 200: { description: 'The OpenAPI document', contentType: 'application/json' } },
      },
      ({ res }) => {
        res.json(docs().document);
      },
    ),
    defineRoute(
      {
        method: 'get',
        path: '/api/docs',
        summary: 'This API as a readable page',
        tags: ['documentation'],
        auth: 'public',
        responses: { 200: { description: 'The API reference, self-contained HTML', contentType: 'text/html' } },
      },
      ({ res }) => {
        res.type('html').send(docs().html);
      },
    ),
  ];
}
