/**
 * The README's tour runs as written: its two curl blocks, top to bottom, against a fresh
 * member (only the address is swapped for the test member's). Each line's answer is checked;
 * the streaming ones run for a moment (curl --max-time), as a reader would press Ctrl-C.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type CairnNode } from '../../src/index.js';
import { freePort } from '../e2e/processes.js';

const hasCurl = spawnSync('curl', ['--version']).status === 0;
if (!hasCurl) console.warn('readme-tour: curl is not installed; skipping the README tour');

/** The `sh` blocks between "## A five-minute tour" and the next heading of its level. */
function tourCommands(): string[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const from = readme.indexOf('## A five-minute tour');
  const to = readme.indexOf('\n## ', from + 1);
  const tour = readme.slice(from, to);
  return [...tour.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => (m[1] as string).split('\n').filter((l) => l.startsWith('curl ')));
}

let node: CairnNode;
let url = '';
const dir = mkdtempSync(join(tmpdir(), 'cairn-tour-'));
beforeAll(async () => {
  url = `http://127.0.0.1:${await freePort()}`;
  const peer = `http://127.0.0.1:${await freePort()}`;
  node = await startNode({ http: true, dataDir: join(dir, 'm'), listenClientUrls: [url], advertiseClientUrls: [url], listenPeerUrls: [peer], initialAdvertisePeerUrls: [peer], logger: false });
});
afterAll(async () => {
  await node.close();
  rmSync(dir, { recursive: true, force: true });
});

const exec = promisify(execFile);

/** Runs one README line in bash as written (asynchronously: the member is in this process). */
async function run(line: string): Promise<string> {
  const streaming = line.includes('curl -N');
  const command = line.replaceAll('http://127.0.0.1:2379', url).replace(/^curl -N/, 'curl -N --max-time 1');
  try {
    return (await exec('bash', ['-c', command], { encoding: 'utf8', timeout: 10_000 })).stdout;
  } catch (err) {
    // curl exits 28 when --max-time cuts a stream: that is the reader's Ctrl-C.
    const e = err as { code?: number; stdout?: string; stderr?: string };
    expect(streaming && e.code === 28, `${line}\n${e.stderr ?? String(err)}`).toBe(true);
    return e.stdout ?? '';
  }
}

describe.skipIf(!hasCurl)('README tour', () => {
  it('runs top to bottom as written', async () => {
    const lines = tourCommands();
    expect(lines).toHaveLength(10);
    const out: string[] = [];
    for (const line of lines) out.push(await run(line));
    expect(JSON.parse(out[0] as string)).toHaveProperty('header.revision', '2');
    expect(out[1]).toContain('"value":"YmFy"');
    expect(JSON.parse(out[2] as string)).toMatchObject({ succeeded: true });
    expect(JSON.parse(out[3] as string)).toMatchObject({ TTL: '30' });
    expect(out[4]).toContain('"created":true');
    expect(out[6]).toMatch(/^ETag: "4"\r?$/im);
    expect(out[6]).toMatch(/\r?\n\r?\nworld$/);
    // The compare-and-swap on the ETag the tour just showed took effect.
    expect(await (await fetch(`${url}/kv/hello`)).text()).toBe('again');
    expect(out[8]).toContain(': watching at revision 5');
    expect(out[9]).toMatch(/"health":"true"/);
    expect(out[9]).toMatch(/etcd_server_has_leader 1/);
  });
});
