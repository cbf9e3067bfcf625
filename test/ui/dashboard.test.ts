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
import { browserMissing, createKeyInForm, ensureUiBuilt, launchBrowser, type Browser } from './browser.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = process.env.UPDATE_UI_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'ui') : undefined;
/** The machine running the tests may be loaded: the page gets this long to show a result. */
const POLL_MS = 10_000;
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
      // Failed requests are expected (conflicts); a blocked load is not.
      if (/Content Security Policy|Refused to/.test(m.text())) pageErrors.push(m.text());
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
    await expect.poll(() => page.locator('#leader-name').textContent(), { timeout: POLL_MS }).toBe(leaderName);
    expect(await page.locator('#members tbody tr[data-role="leader"]').getAttribute('data-member')).toBe(leaderName);
    await shot(page, 'cluster');
  });

  it('creates a key through the form, and the API sees it', async () => {
    await createKeyInForm(page, member(0).clientUrl, 'app/config/greeting', 'hello from the browser');
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Created' }).count(), { timeout: POLL_MS }).toBe(1);
    // Through another member: the write went through raft, not only to the member serving the page.
    const kv = await valueOf(member(1).clientUrl, 'app/config/greeting');
    expect(kv?.value).toBe('hello from the browser');
    await expect.poll(() => page.locator('#mod-revision').textContent(), { timeout: POLL_MS }).toBe(String(kv?.mod));
    // Creating it again is a conflict, not an overwrite.
    await page.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => page.getByRole('alert').filter({ hasText: 'already exists' }).count(), { timeout: POLL_MS }).toBe(1);
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
    await expect.poll(() => alert.count(), { timeout: POLL_MS }).toBe(1);
    expect(await alert.textContent()).toContain(`modified at revision ${changed?.mod} after you loaded it at mod revision ${before?.mod}`);
    expect((await valueOf(member(0).clientUrl, 'app/config/greeting'))?.value).toBe('changed by the API');
    await shot(page, 'keys-conflict');
    // With the current revision the same edit goes through.
    await page.getByLabel('Only if mod revision is').fill(String(changed?.mod));
    await page.getByRole('button', { name: 'Save (compare-and-swap)' }).click();
    await expect.poll(async () => (await valueOf(member(0).clientUrl, 'app/config/greeting'))?.value, { timeout: POLL_MS }).toBe('stale edit from the browser');
  });

  it('tails a prefix and shows an event written by the CLI; pausing loses nothing', async () => {
    await page.goto(`${member(0).clientUrl}/ui/#watch`);
    await page.getByLabel('Key prefix').fill('jobs/');
    await page.getByRole('button', { name: 'Watch', exact: true }).click();
    await expect.poll(() => page.locator('#watch-state').textContent(), { timeout: POLL_MS }).toContain('Watching "jobs/"');
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

  it('browses the tree, shows JSON pretty-printed and hex for binary, and reads history', async () => {
    for (const [k, v] of [['svc/a/1', '{"port":80,"tls":false}'], ['svc/a/2', 'x'], ['svc/b/1', 'y'], ['svc/top', 'z']]) {
      await gateway(member(0).clientUrl, '/v3/kv/put', { key: b64(k as string), value: b64(v as string) });
    }
    await gateway(member(0).clientUrl, '/v3/kv/put', { key: b64('svc/a/1'), value: b64('{"port":443,"tls":true}') });
    await gateway(member(0).clientUrl, '/v3/kv/put', { key: b64('svc/bin'), value: Buffer.from([0, 1, 2, 0xff]).toString('base64') });
    await page.goto(`${member(0).clientUrl}/ui/#keys`);
    await page.getByLabel('Key prefix').fill('svc/');
    await page.getByRole('button', { name: 'Show' }).click();
    await expect.poll(() => page.locator('#key-count').textContent(), { timeout: POLL_MS }).toMatch(/^5 keys under "svc\/"/);
    const tree = page.getByRole('list', { name: 'Keys and folders' });
    expect(await tree.locator('li').allTextContents()).toEqual(['▸ a/ 2 keys', '▸ b/ 1 key', '• bin', '• top']);
    await tree.getByRole('button', { name: /a\// }).click();
    await expect.poll(() => page.locator('#key-count').textContent(), { timeout: POLL_MS }).toMatch(/^2 keys under "svc\/a\/"/);
    await tree.getByRole('button', { name: '1', exact: true }).click();
    await expect.poll(() => page.locator('pre.value').first().textContent(), { timeout: POLL_MS }).toBe('{\n  "port": 443,\n  "tls": true\n}');
    await page.getByRole('button', { name: 'Show history' }).click();
    await expect.poll(() => page.locator('ol.history li').count(), { timeout: POLL_MS }).toBe(1);
    expect(await page.locator('ol.history li').textContent()).toContain('{"port":80,"tls":false}');
    await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('button', { name: 'svc/' }).click();
    await page.getByRole('list', { name: 'Keys and folders' }).getByRole('button', { name: 'bin' }).click();
    await expect.poll(() => page.locator('pre.value').first().textContent(), { timeout: POLL_MS }).toBe(`00000000  ${'00 01 02 ff'.padEnd(47)}  ....`);
    expect(await page.getByRole('radio', { name: 'Hex' }).isChecked()).toBe(true);
  });

  it('grants and revokes a lease, asking first; the key on it goes too', async () => {
    await page.goto(`${member(0).clientUrl}/ui/#leases`);
    await page.getByLabel('TTL (seconds)').fill('300');
    await page.getByRole('button', { name: 'Grant lease' }).click();
    const granted = page.getByRole('status').filter({ hasText: 'Granted lease' });
    await expect.poll(() => granted.count(), { timeout: POLL_MS }).toBe(1);
    const id = /Granted lease (\d+)/.exec((await granted.textContent()) ?? '')?.[1] as string;
    await gateway(member(0).clientUrl, '/v3/kv/put', { key: b64('leased/key'), value: b64('v'), lease: id });
    await page.getByRole('button', { name: 'Refresh' }).click();
    const row = page.locator('tr').filter({ hasText: id });
    await expect.poll(() => row.textContent(), { timeout: POLL_MS }).toContain('leased/key');
    await row.getByRole('button', { name: `Revoke lease ${id}` }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.textContent()).toContain('Its 1 attached key is deleted.');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await valueOf(member(0).clientUrl, 'leased/key')).toBeDefined();
    await row.getByRole('button', { name: `Revoke lease ${id}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke lease' }).click();
    await expect.poll(() => valueOf(member(0).clientUrl, 'leased/key'), { timeout: POLL_MS }).toBeUndefined();
  });

  it('compacts after a confirmation; history then stops at the compaction', async () => {
    const rev = Number((await gateway(member(0).clientUrl, '/v3/kv/range', { key: b64('x') })).json.header.revision);
    await page.goto(`${member(0).clientUrl}/ui/#maintenance`);
    await page.getByLabel('Revision').fill(String(rev));
    await page.getByRole('button', { name: 'Compact…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Compact' }).click();
    await expect.poll(() => page.locator('#maintenance-status').textContent(), { timeout: POLL_MS }).toBe(`Compacted at revision ${rev}.`);
    const old = await gateway(member(0).clientUrl, '/v3/kv/range', { key: b64('svc/a/1'), revision: rev - 1 });
    expect(old.json.message).toBe('etcdserver: mvcc: required revision has been compacted');
    await page.goto(`${member(0).clientUrl}/ui/#keys`);
    await page.getByLabel('Key prefix').fill('svc/a/');
    await page.getByRole('button', { name: 'Show' }).click();
    await expect.poll(() => page.locator('#key-count').textContent(), { timeout: POLL_MS }).toMatch(/under "svc\/a\/"/);
    await page.getByRole('list', { name: 'Keys and folders' }).getByRole('button', { name: '1', exact: true }).click();
    await page.getByRole('button', { name: 'Show history' }).click();
    await expect.poll(() => page.getByText('Older revisions have been compacted.').count(), { timeout: POLL_MS }).toBe(1);
  });

  it('draws the metric charts from /metrics, puts per second following the writes', async () => {
    await page.goto(`${member(0).clientUrl}/ui/#metrics`);
    await expect.poll(() => page.locator('figure.chart').count(), { timeout: 10_000 }).toBe(5);
    const labels = await page.locator('figure.chart svg').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
    expect(labels.map((l) => l.split(':')[0])).toEqual(['Puts per second', 'Reads per second', 'WAL fsync p99', 'Apply lag (entries)', 'Peer round trip p99']);
    const puts = page.locator('figure.chart').filter({ hasText: 'Puts per second' }).locator('strong');
    let n = 0;
    const deadline = Date.now() + 15_000;
    while ((await puts.textContent()) === '0.0/s' && Date.now() < deadline) {
      await Promise.all(Array.from({ length: 10 }, () => gateway(member(0).clientUrl, '/v3/kv/put', { key: b64(`load/${n++}`), value: b64('x') })));
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await puts.textContent()).toMatch(/^[1-9][\d.]*\/s$|^0\.[1-9]\/s$/);
    await shot(page, 'metrics');
  });

  it('fits a phone screen: navigation and the members table stay usable', async () => {
    await page.setViewportSize({ width: 390, height: 780 });
    try {
      // A fresh load, as on a phone opening the page: a hash change alone keeps the earlier
      // test's focus point, and Tab would start from there instead of the top of the page.
      await page.goto(`${member(0).clientUrl}/ui/#cluster`);
      await page.reload();
      await expect.poll(() => page.locator('#members tbody tr').count(), { timeout: 10_000 }).toBe(3);
      // Nothing wider than the screen but the scrollable table region.
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Enter');
      await expect.poll(() => page.evaluate('location.hash'), { timeout: POLL_MS }).toBe('#keys');
      await shot(page, 'phone-keys');
    } finally {
      await page.setViewportSize({ width: 1100, height: 720 });
    }
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
