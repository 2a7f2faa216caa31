import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const eslint = new ESLint({ cwd: root });

async function ruleIdsFor(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, filePath) });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

// Each row: a file in one ring importing something it must not. The rule must fire for every one.
const violations: Array<[string, string]> = [
  ['packages/domain/src/orders/bad.ts', "import express from 'express';"],
  ['packages/domain/src/orders/bad.ts', "import { MikroORM } from '@mikro-orm/core';"],
  ['packages/domain/src/orders/bad.ts', "import { Container } from 'inversify';"],
  ['packages/domain/src/orders/bad.ts', "import { ChatOpenAI } from '@langchain/openai';"],
  ['packages/domain/src/orders/bad.ts', "import pg from 'pg';"],
  ['packages/domain/src/orders/bad.ts', "import { readFileSync } from 'node:fs';"],
  ['packages/domain/src/orders/bad.ts', "import { createServer } from 'node:http';"],
  ['packages/domain/src/orders/bad.ts', "import { openDatabase } from '@palette/adapters/persistence';"],
  ['packages/domain/src/orders/bad.ts', "import { createApp } from '@palette/app-http';"],
  ['packages/domain/in-memory/bad.ts', "import express from 'express';"],
  ['packages/adapters/src/persistence/bad.ts', "import { createApp } from '@palette/app-http';"],
  ['packages/adapters/src/persistence/bad.ts', "import { Container } from 'inversify';"],
];

describe('the dependency rule is enforced by ESLint', () => {
  it.each(violations)('%s: %s is rejected', async (file, code) => {
    expect(await ruleIdsFor(`${code}\nexport const used = [${code.match(/import \{? ?(\w+)/)?.[1]}];\n`, file)).toContain('no-restricted-imports');
  });

  it('accepts the same imports where they belong', async () => {
    expect(await ruleIdsFor("import express from 'express';\nexport const app = express;\n", 'packages/app-http/src/ok.ts')).not.toContain('no-restricted-imports');
    expect(await ruleIdsFor("import { MikroORM } from '@mikro-orm/core';\nexport const o = MikroORM;\n", 'packages/adapters/src/persistence/ok.ts')).not.toContain('no-restricted-imports');
    expect(await ruleIdsFor("import { Money } from '@palette/domain';\nexport const m = Money;\n", 'packages/adapters/src/persistence/ok.ts')).not.toContain('no-restricted-imports');
  });
});

describe('package manifests keep the hexagon honest', () => {
  const manifest = (pkg: string) => JSON.parse(readFileSync(join(root, 'packages', pkg, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };

  it('the domain has no runtime dependency at all (hoisting cannot sneak one in)', () => {
    expect(manifest('domain').dependencies ?? {}).toEqual({});
  });

  it('adapters depend on no app, apps depend on no other app', () => {
    const names = (pkg: string) => Object.keys(manifest(pkg).dependencies ?? {});
    expect(names('adapters').filter((n) => n.startsWith('@palette/app-'))).toEqual([]);
    expect(names('app-http')).not.toContain('@palette/app-worker');
    expect(names('app-worker')).not.toContain('@palette/app-http');
  });
});
