/**
 * A real headless Chromium (Debian's `chromium`) for the dashboard's end-to-end tests, driven by
 * playwright-core. Missing browser = the tests skip with the reason printed, as the etcd
 * comparison tests do without etcd. Also builds the UI first when its sources are newer than
 * dist/ui, so the tests run from a clean clone without `npm run build`.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
// @ts-expect-error: a plain .mjs build script without type declarations.
import { buildUi, newest, UI_OUT, UI_SOURCE } from '../../scripts/build-ui.mjs';

export const CHROMIUM = process.env.CAIRN_CHROMIUM ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined when they can. */
export function browserMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CAIRN_CHROMIUM)`;
}

const fresh = (): boolean => {
  const built = newest(UI_OUT) as number;
  return built > 0 && built >= (newest(UI_SOURCE) as number);
};

/**
 * Builds dist/ui when it is older than src/ui/web. Test files run in parallel workers, so the
 * build holds a lock directory (mkdir is atomic); a lock older than a minute was left by a
 * killed run and is taken over.
 */
export async function ensureUiBuilt(): Promise<void> {
  if (fresh()) return;
  const lock = join(UI_OUT as string, '..', '.ui-build-lock');
  mkdirSync(dirname(lock), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held !== undefined && Date.now() - held.mtimeMs > 60_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    if (!fresh()) await (buildUi as () => Promise<unknown>)();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'cairn-chromium-'));
  // A fresh profile every run, and nothing that reaches beyond 127.0.0.1.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1100, height: 720 },
    timeout: 30_000,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Opens the Keys page of the member at `url` and submits its Create form (callers check the outcome). */
export async function createKeyInForm(page: Page, url: string, key: string, value: string): Promise<void> {
  await page.goto(`${url}/ui/#keys`);
  await page.getByLabel('Key', { exact: true }).fill(key);
  await page.getByLabel('Value (text)', { exact: true }).fill(value);
  await page.getByRole('button', { name: 'Create' }).click();
}
