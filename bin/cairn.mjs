#!/usr/bin/env node
// The `cairn` command. In a checkout (src/ present) it runs the TypeScript source through tsx, so
// it never runs a stale build; an installed package ships only dist/ and runs that.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(fileURLToPath(source))) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('../dist/src/cli/main.js', import.meta.url).href);
}
