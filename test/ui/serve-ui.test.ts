/**
 * `--no-ui` turns the dashboard off; without it a member started through startServer (what
 * `cairn serve` runs) serves the built dashboard at /ui on its client URL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseServeFlags } from '../../src/cli/serve-flags.js';
import { startNode, type CairnNode } from '../../src/index.js';
import { freePort } from '../e2e/processes.js';
import { ensureUiBuilt } from './browser.js';

describe('--no-ui', () => {
  it('is off by default, on as a flag or CAIRN_NO_UI', () => {
    expect(parseServeFlags([], {}).ui).toBe(true);
    expect(parseServeFlags(['--no-ui'], {}).ui).toBe(false);
    expect(parseServeFlags(['--no-ui=false'], {}).ui).toBe(true);
    expect(parseServeFlags([], { CAIRN_NO_UI: 'true' }).ui).toBe(false);
  });
});

describe('a member serves /ui unless told not to', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-ui-serve-'));
  const nodes: Array<{ node: CairnNode; url: string }> = [];

  async function start(name: string, ui: boolean): Promise<string> {
    const url = `http://127.0.0.1:${await freePort()}`;
    const peer = `http://127.0.0.1:${await freePort()}`;
    const node = await startNode({
      http: true,
      name,
      dataDir: join(dir, name),
      listenClientUrls: [url],
      advertiseClientUrls: [url],
      listenPeerUrls: [peer],
      initialAdvertisePeerUrls: [peer],
      initialCluster: new Map([[name, [peer]]]),
      heartbeatIntervalMs: 10,
      electionTimeoutMs: 100,
      logger: false,
      ui,
    });
    nodes.push({ node, url });
    return url;
  }

  beforeAll(ensureUiBuilt, 60_000);
  afterAll(async () => {
    for (const n of nodes) await n.node.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page and its script with the UI on', async () => {
    const url = await start('with-ui', true);
    const page = await fetch(`${url}/ui/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const script = /src="(\/ui\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const js = await fetch(`${url}${script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const cluster = (await (await fetch(`${url}/ui/api/cluster`)).json()) as { members: Array<{ name: string; self: boolean }> };
    expect(cluster.members).toMatchObject([{ name: 'with-ui', self: true }]);
  });

  it('answers 404 with --no-ui, the rest of the API unchanged', async () => {
    const url = await start('without-ui', false);
    expect((await fetch(`${url}/ui/`)).status).toBe(404);
    expect((await fetch(`${url}/ui/api/cluster`)).status).toBe(404);
    expect((await fetch(`${url}/version`)).status).toBe(200);
  });
});
