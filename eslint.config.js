// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** Imports the pure core may never make: frameworks, I/O and the outer rings of the hexagon. */
export const domainForbidden = [
  { group: ['express', 'express/*', 'express-*'], message: 'The domain is framework-free: keep HTTP in app-http.' },
  { group: ['@mikro-orm/*', 'mikro-orm*', 'pg', 'pg-*', 'pg/*', '@electric-sql/*'], message: 'The domain does no I/O: persistence belongs in packages/adapters.' },
  { group: ['inversify', 'inversify/*', '@inversifyjs/*', 'reflect-metadata'], message: 'Bindings live only in the apps\' composition roots.' },
  { group: ['langchain', 'langchain/*', '@langchain/*'], message: 'LLM providers are adapters.' },
  { group: ['node:fs', 'node:fs/*', 'fs', 'fs/*', 'node:http', 'node:https', 'http', 'https', 'node:net', 'net', 'node:child_process', 'child_process'], message: 'The domain does no I/O.' },
  { group: ['zod', 'zod/*'], message: 'zod validates at the edges (docs/decisions/0002).' },
  { group: ['pino', 'pino-*', 'pg-boss', 'bullmq', 'ioredis'], message: 'The domain does no I/O.' },
  { group: ['@palette/adapters', '@palette/adapters/*', '@palette/app-*', '@palette/app-*/*', '**/adapters/**', '**/app-http/**', '**/app-worker/**'], message: 'Dependencies point inward: the domain imports no outer package.' },
];

const adaptersForbidden = [
  { group: ['@palette/app-*', '@palette/app-*/*', '**/app-http/**', '**/app-worker/**'], message: 'Adapters never import an app: apps -> adapters -> domain.' },
  { group: ['inversify', 'inversify/*', '@inversifyjs/*', 'express', 'express/*'], message: 'Adapters are framework-neutral; DI and HTTP live in the apps.' },
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.palette/**', '**/.palette/**', '.turbo/**', 'test-artifacts/**', 'scripts/test/fixtures/**', '**/web-dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['packages/domain/src/**/*.ts', 'packages/domain/in-memory/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: domainForbidden }] },
  },
  {
    files: ['packages/adapters/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: adaptersForbidden }] },
  },
  {
    files: ['**/test/**/*.ts', '**/testing/**/*.ts', 'scripts/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
