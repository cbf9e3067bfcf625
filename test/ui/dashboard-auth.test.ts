/**
 * The dashboard's login in a real headless Chromium against a three-member cluster of real
 * `cairn serve` processes with authentication enabled (root and a read-only user set up through
 * the gateway, as `cairn user|role|auth` would): no stand-in answers, the member's own refusals
 * ("user name is empty" from the gateway, 401 from /kv/ and its SSE watch) must bring up the form.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateway, startProcCluster, type ProcCluster } from '../e2e/processes.js';
import { browserMissing, createKeyInForm, ensureUiBuilt, launchBrowser, type Browser } from './browser.js';

/** The machine running the tests may be loaded: the page gets this long to show a result. */
const POLL_MS = 10_000;
const ROOT_PASSWORD = 'root-secret';
const READER_PASSWORD = 'reader-secret';
const missing = browserMissing();
if (missing !== undefined) console.warn(`test/ui/dashboard-auth: skipped: ${missing}`);

const b64 = (s: string): string => Buffer.from(s).toString('base64');

async function authed(url: string, path: string, body: unknown, token: string): Promise<{ status: number; json: any }> {
  const r = await fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { authorization: token }, signal: AbortSignal.timeout(10_000) });
  return { status: r.status, json: await r.json() };
}

async function ok(url: string, path: string, body: unknown): Promise<void> {
  const r = await gateway(url, path, body);
  if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status} ${JSON.stringify(r.json)}`);
}

/** Fills and submits the login form; returns the dialog. */
async function logIn(page: Page, user: string, password: string) {
  const dialog = page.getByRole('dialog', { name: 'Log in to cairn' });
  await dialog.waitFor({ timeout: POLL_MS });
  await dialog.getByLabel('User').fill(user);
  await dialog.getByLabel('Password').fill(password);
  await dialog.getByRole('button', { name: 'Log in' }).click();
  return dialog;
}

describe.skipIf(missing !== undefined)('the dashboard login against a cluster with auth enabled, in Chromium', () => {
  let cluster: ProcCluster;
  let browser: Browser;
  const pageErrors: string[] = [];

  const member = (i: number) => cluster.members[i] as (typeof cluster.members)[number];

  const newPage = async (): Promise<Page> => {
    const page = await browser.context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/.test(m.text())) pageErrors.push(m.text());
    });
    return page;
  };

  beforeAll(async () => {
    await ensureUiBuilt();
    [cluster, browser] = await Promise.all([startProcCluster(3, 'ui-auth'), launchBrowser()]);
    const url = member(0).clientUrl;
    // etcdctl's order: root first, then a role reading everything ("\0" to "\0"), then enable.
    await ok(url, '/v3/auth/user/add', { name: 'root', password: ROOT_PASSWORD });
    await ok(url, '/v3/auth/user/grant', { user: 'root', role: 'root' });
    await ok(url, '/v3/auth/user/add', { name: 'reader', password: READER_PASSWORD });
    await ok(url, '/v3/auth/role/add', { name: 'read-all' });
    await ok(url, '/v3/auth/role/grant', { name: 'read-all', perm: { permType: 'READ', key: b64('\0'), range_end: b64('\0') } });
    await ok(url, '/v3/auth/user/grant', { user: 'reader', role: 'read-all' });
    await ok(url, '/v3/auth/enable', {});
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await cluster?.stopAll();
  }, 30_000);

  let rootPage: Page;

  it('asks for a login on the real refusal, shows etcd\'s error for a wrong password, then the members', async () => {
    // What the page meets: the member's own answer to a caller without a token.
    const refused = await gateway(member(0).clientUrl, '/v3/cluster/member/list', {});
    expect(refused).toMatchObject({ status: 400, json: { code: 3, message: 'etcdserver: user name is empty' } });
    rootPage = await newPage();
    await rootPage.goto(`${member(0).clientUrl}/ui/`);
    const dialog = await logIn(rootPage, 'root', 'wrong');
    await expect.poll(() => dialog.getByRole('alert').textContent(), { timeout: POLL_MS }).toContain('etcdserver: authentication failed, invalid user ID or password');
    await dialog.getByLabel('Password').fill(ROOT_PASSWORD);
    await dialog.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => rootPage.locator('#members tbody tr[data-state="up"]').count(), { timeout: 15_000 }).toBe(3);
    expect(await rootPage.getByRole('dialog').count()).toBe(0);
  });

  it('creates a key through the form as root, readable with root\'s token through the API', async () => {
    await createKeyInForm(rootPage, member(0).clientUrl, 'app/secured', 'written after login');
    await expect.poll(() => rootPage.getByRole('status').filter({ hasText: 'Created' }).count(), { timeout: POLL_MS }).toBe(1);
    const login = await gateway(member(1).clientUrl, '/v3/auth/authenticate', { name: 'root', password: ROOT_PASSWORD });
    const r = await authed(member(1).clientUrl, '/v3/kv/range', { key: b64('app/secured') }, login.json.token as string);
    expect(Buffer.from(r.json.kvs?.[0]?.value ?? '', 'base64').toString()).toBe('written after login');
    expect((await gateway(member(1).clientUrl, '/v3/kv/range', { key: b64('app/secured') })).json.message).toBe('etcdserver: user name is empty');
  });

  it('a read-only user logs in through the watch (SSE 401), tails events, and gets a permission error writing', async () => {
    const page = await newPage();
    try {
      // The plain API's SSE watch answers 401 "user name is empty": the login comes from there.
      await page.goto(`${member(0).clientUrl}/ui/#watch`);
      await page.getByLabel('Key prefix').fill('app/');
      await page.getByRole('button', { name: 'Watch', exact: true }).click();
      await logIn(page, 'reader', READER_PASSWORD);
      await expect.poll(() => page.locator('#watch-state').textContent(), { timeout: POLL_MS }).toContain('Watching "app/"');
      const login = await gateway(member(2).clientUrl, '/v3/auth/authenticate', { name: 'root', password: ROOT_PASSWORD });
      await authed(member(2).clientUrl, '/v3/kv/put', { key: b64('app/by-root'), value: b64('seen by the reader') }, login.json.token as string);
      await expect.poll(() => page.locator('#events tr').filter({ hasText: 'seen by the reader' }).count(), { timeout: POLL_MS }).toBe(1);

      await createKeyInForm(page, member(0).clientUrl, 'app/by-reader', 'refused');
      const alert = page.getByRole('alert').filter({ hasText: 'Permission denied' });
      await expect.poll(() => alert.count(), { timeout: POLL_MS }).toBe(1);
      expect(await alert.textContent()).toContain('user "reader" is not allowed to do this (etcdserver: permission denied)');
      // A refusal, not a login loop.
      expect(await page.getByRole('dialog').count()).toBe(0);
      const check = await authed(member(0).clientUrl, '/v3/kv/range', { key: b64('app/by-reader') }, login.json.token as string);
      expect(check.json.kvs).toBeUndefined();
    } finally {
      await page.close();
    }
  });

  it('a token the member no longer knows brings the login back (401 "invalid auth token")', async () => {
    await rootPage.evaluate("sessionStorage.setItem('cairn-token', 'forged.1')");
    await rootPage.goto(`${member(0).clientUrl}/ui/#cluster`);
    await rootPage.reload();
    await logIn(rootPage, 'root', ROOT_PASSWORD);
    await expect.poll(() => rootPage.locator('#members tbody tr[data-state="up"]').count(), { timeout: 15_000 }).toBe(3);
  });

  it('raised no script error and no CSP violation', () => {
    expect(pageErrors).toEqual([]);
  });
});
