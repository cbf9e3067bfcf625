/**
 * The web UI's built files (`npm run build` writes them to dist/ui, scripts/build-ui.ts), read
 * once into memory when the member starts: a handful of small files, bounded below, so a request
 * never touches the disk and a file cannot change under a running member.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface UiAsset {
  readonly body: Buffer;
  readonly contentType: string;
}

/** More than the build makes by far; a directory beyond these is a mistake, not a UI. */
export const MAX_UI_FILES = 64;
export const MAX_UI_BYTES = 4 * 1024 * 1024;

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

/**
 * dist/ui of the package this file belongs to: from src/ui (tests, tsx) and from dist/src/ui
 * (the installed package) alike, by walking up to the nearest package.json.
 */
export function defaultUiDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return join(dir, 'dist', 'ui');
}

/** Files by URL path below /ui/ (`index.html`, `assets/app-1a2b.js`); undefined when not built. */
export function loadUiAssets(dir: string): Map<string, UiAsset> | undefined {
  if (!existsSync(join(dir, 'index.html'))) return undefined;
  const assets = new Map<string, UiAsset>();
  let total = 0;
  const visit = (path: string): void => {
    for (const name of readdirSync(path)) {
      const full = join(path, name);
      if (statSync(full).isDirectory()) {
        visit(full);
        continue;
      }
      const contentType = TYPES[extname(name)];
      if (contentType === undefined) continue;
      const body = readFileSync(full);
      total += body.length;
      if (assets.size >= MAX_UI_FILES || total > MAX_UI_BYTES) {
        throw new Error(`cairn: ${dir} holds more than ${MAX_UI_FILES} files or ${MAX_UI_BYTES} bytes: not a cairn UI build`);
      }
      assets.set(relative(dir, full).split(sep).join('/'), { body, contentType });
    }
  };
  visit(dir);
  return assets;
}
