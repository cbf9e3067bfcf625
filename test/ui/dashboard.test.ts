/**
 * The dashboard in a real headless Chromium against a three-member cluster of real `cairn serve`
 * processes: the scenarios, each checked against the API as well as on the page.
 * `UPDATE_UI_SCREENSHOTS=1` also writes the screenshots docs/ui.md shows.
 */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateway, startProcCluster, type ProcCluster } from '../e2e/processes.js';
import { browserMissing, ensureUiBuilt, launchBrowser, type Browser } from './browser.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = process.env.UPDATE_UI_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'ui') : undefined;
const missing = browserMissing();
if (missing !== undefined) console.warn(`test/ui/dashboard: skipped: ${missing}`);

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const text = (s: string | undefined): string => Buffer.from(s ?? '', 'base64').toString();

async function valueOf(url: string, key: string): Promise<{ value: string; mod: number } | undefined> {
  const r = await gateway(url, '/v3/kv/range', { key: b64(key) });
  const kv = r.json.kvs?.[0];
  return kv === undefined ? undefined : { value: text(kv.value), mod: Number(kv.mod_revision) };
}

async function shot(page: Page, name: string): Promise<void> {
  if (SHOTS !== undefined) await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

describe.skipIf(missing !== undefined)('the dashboard in Chromium on a three-member cluster', () => {
  let cluster: ProcCluster;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await ensureUiBuilt();
    [cluster, browser] = await Promise.all([startProcCluster(3, 'ui'), launchBrowser()]);
    page = await browser.context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await cluster?.stopAll();
  }, 30_000);

  const member = (i: number) => cluster.members[i] as (typeof cluster.members)[number];

  it('shows three members and the leader', async () => {
    await page.goto(`${member(0).clientUrl}/ui/`);
    const rows = page.locator('#members tbody tr');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(3);
    await expect.poll(() => page.locator('#members tbody tr[data-state="up"]').count(), { timeout: 15_000 }).toBe(3);
    const status = await gateway(member(0).clientUrl, '/v3/maintenance/status', {});
    const list = await gateway(member(0).clientUrl, '/v3/cluster/member/list', {});
    const leaderName = list.json.members.find((m: { ID: string }) => m.ID === status.json.leader).name as string;
    await expect.poll(() => page.locator('#leader-name').textContent()).toBe(leaderName);
    expect(await page.locator('#members tbody tr[data-role="leader"]').getAttribute('data-member')).toBe(leaderName);
    await shot(page, 'cluster');
  });

  it('creates a key through the form, and the API sees it', async () => {
    await page.goto(`${member(0).clientUrl}/ui/#keys`);
    await page.getByLabel('Key', { exact: true }).fill('app/config/greeting');
    await page.getByLabel('Value (text)', { exact: true }).fill('hello from the browser');
    await page.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Created' }).count()).toBe(1);
    // Through another member: the write went through raft, not only to the member serving the page.
    const kv = await valueOf(member(1).clientUrl, 'app/config/greeting');
    expect(kv?.value).toBe('hello from the browser');
    await expect.poll(() => page.locator('#mod-revision').textContent()).toBe(String(kv?.mod));
    // Creating it again is a conflict, not an overwrite.
    await page.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => page.getByRole('alert').filter({ hasText: 'already exists' }).count()).toBe(1);
  });

  it('edits with a stale mod revision and gets a conflict, not an overwrite', async () => {
    const before = await valueOf(member(0).clientUrl, 'app/config/greeting');
    // Someone else writes after the page loaded the key.
    await gateway(member(2).clientUrl, '/v3/kv/put', { key: b64('app/config/greeting'), value: b64('changed by the API') });
    const changed = await valueOf(member(0).clientUrl, 'app/config/greeting');
    expect(changed?.mod).toBeGreaterThan(before?.mod ?? Infinity);
    await page.getByLabel('New value (text)').fill('stale edit from the browser');
    await page.getByRole('button', { name: 'Save (compare-and-swap)' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'after you loaded it' });
    await expect.poll(() => alert.count()).toBe(1);
    expect(await alert.textContent()).toContain(`modified at revision ${changed?.mod} after you loaded it at mod revision ${before?.mod}`);
    expect((await valueOf(member(0).clientUrl, 'app/config/greeting'))?.value).toBe('changed by the API');
    await shot(page, 'keys-conflict');
    // With the current revision the same edit goes through.
    await page.getByLabel('Only if mod revision is').fill(String(changed?.mod));
    await page.getByRole('button', { name: 'Save (compare-and-swap)' }).click();
    await expect.poll(async () => (await valueOf(member(0).clientUrl, 'app/config/greeting'))?.value).toBe('stale edit from the browser');
  });

  it('tails a prefix and shows an event written by the CLI; pausing loses nothing', async () => {
    await page.goto(`${member(0).clientUrl}/ui/#watch`);
    await page.getByLabel('Key prefix').fill('jobs/');
    await page.getByRole('button', { name: 'Watch', exact: true }).click();
    await expect.poll(() => page.locator('#watch-state').textContent()).toContain('Watching "jobs/"');
    await promisify(execFile)(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'put', 'jobs/42', 'queued by the cli', `--endpoints=${member(1).clientUrl}`], { cwd: ROOT, timeout: 30_000 });
    const row = page.locator('#events tr').filter({ hasText: 'jobs/42' });
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
    expect(await row.textContent()).toContain('queued by the cli');
    await page.getByRole('button', { name: 'Pause' }).click();
    await gateway(member(2).clientUrl, '/v3/kv/put', { key: b64('jobs/43'), value: b64('while paused') });
    await gateway(member(2).clientUrl, '/v3/kv/put', { key: b64('other/1'), value: b64('not under the prefix') });
    await new Promise((r) => setTimeout(r, 300));
    expect(await page.locator('#events tr').filter({ hasText: 'jobs/43' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => page.locator('#events tr').filter({ hasText: 'jobs/43' }).count(), { timeout: 10_000 }).toBe(1);
    expect(await page.locator('#events tr').filter({ hasText: 'other/1' }).count()).toBe(0);
    await expect.poll(() => page.locator('#watcher-count').textContent(), { timeout: 10_000 }).toMatch(/^[1-9]\d*$/);
    await shot(page, 'watch');
  });

  it('marks a stopped member down', async () => {
    await page.goto(`${member(0).clientUrl}/ui/#cluster`);
    await expect.poll(() => page.locator('#members tbody tr[data-state="up"]').count(), { timeout: 15_000 }).toBe(3);
    const victim = member(2);
    await cluster.kill(victim);
    const row = page.locator(`#members tbody tr[data-member="${victim.name}"]`);
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 15_000 }).toBe('down');
    expect(await row.textContent()).toContain('down');
    await expect.poll(() => page.locator('#members tbody tr[data-state="up"]').count(), { timeout: 15_000 }).toBe(2);
    await shot(page, 'cluster-down');
  });

  it('raised no script error and no CSP violation', () => {
    expect(pageErrors).toEqual([]);
  });
});
