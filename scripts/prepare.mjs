// `npm prepare`: build dist/ where there is something to build, so `npm pack` and
// `npm install <git url>` give a working `cairn` (the package ships dist/, not src/).
// Skipped where src/ or TypeScript is absent: the Dockerfile's `npm ci` runs before the
// sources are copied, and `npm ci --omit=dev` has no compiler.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
let tsc;
try {
  tsc = join(dirname(createRequire(join(root, 'package.json')).resolve('typescript/package.json')), 'bin', 'tsc');
} catch {
  tsc = undefined;
}
if (!existsSync(join(root, 'src/cli/main.ts')) || tsc === undefined || !existsSync(tsc)) {
  console.error('cairn prepare: no sources or no TypeScript here; not building dist/');
} else {
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  // The web UI (dist/ui) too, or a member installed from git would answer /ui with 503.
  const ui = spawnSync(process.execPath, [join(root, 'scripts/build-ui.mjs')], { cwd: root, stdio: 'inherit' });
  process.exit(ui.status ?? 1);
}
