// `npm run build` (after tsc): bundles the dashboard's browser half (src/ui/web) into dist/ui
// with vite, which the member serves at /ui (src/ui/assets.ts). Plain .mjs so it runs right
// after `npm ci` without tsx. Also imported by the UI tests, which build before they start.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
export const UI_SOURCE = join(root, 'src', 'ui', 'web');
export const UI_OUT = join(root, 'dist', 'ui');

/** Bundles src/ui/web into `outDir`; returns the bytes of every file written. */
export async function buildUi(outDir = UI_OUT) {
  const { build } = await import('vite');
  await build({
    configFile: false,
    root: UI_SOURCE,
    base: '/ui/',
    logLevel: 'warn',
    publicDir: false,
    build: {
      outDir,
      emptyOutDir: true,
      // No inline scripts: the page's Content-Security-Policy forbids them (src/ui/routes.ts).
      modulePreload: false,
      assetsInlineLimit: 0,
      target: 'es2022',
      reportCompressedSize: false,
      sourcemap: false,
    },
  });
  return sizes(outDir);
}

function sizes(dir, prefix = '') {
  const out = {};
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) Object.assign(out, sizes(path, `${prefix}${name}/`));
    else out[`${prefix}${name}`] = statSync(path).size;
  }
  return out;
}

/** The newest modification time under `dir` (ms), 0 when it does not exist. */
export function newest(dir) {
  if (!existsSync(dir)) return 0;
  let t = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const s = statSync(path);
    t = Math.max(t, s.isDirectory() ? newest(path) : s.mtimeMs);
  }
  return t;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = await buildUi();
  const total = Object.values(files).reduce((a, b) => a + b, 0);
  console.log(`ui: ${Object.keys(files).length} files, ${total} bytes in dist/ui`);
}
