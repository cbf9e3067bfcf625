/**
 * A storage failure in a live member (issue 15 item 5): the member logs the errno and the path;
 * `cairn serve` exits non-zero so a supervisor restarts it; an embedded node reports it through
 * `failed` and leaves its host running; a write in flight answers "may or may not have been
 * applied" (the client's OutcomeUnknownError), never a plain failure; the files `cairn serve`
 * writes are private (etcd's 0700/0600) whatever the umask. The full disk is the
 * CAIRN_TEST_FULL_DISK_FILE hook (src/cli/test-hooks.ts): writes fail as LevelDB's do on ENOSPC.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Client, OutcomeUnknownError } from '../../src/client/index.js';
import { startNode, type CairnNode } from '../../src/index.js';
import { freePort } from '../e2e/processes.js';

const ROOT = resolve(import.meta.dirname, '../..');
const enc = (s: string) => new TextEncoder().encode(s);
const dirs: string[] = [];
let node: CairnNode | undefined;

afterEach(async () => {
  delete process.env['CAIRN_TEST_FULL_DISK_FILE'];
  await node?.close().catch(() => undefined); // its disk is "full": closing may fail too
  node = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'cairn-disk-full-'));
  dirs.push(d);
  return d;
}

describe('a storage failure in a live member', () => {
  it('embedded: `failed` resolves with the errno, the write in flight is outcome-unknown, the host lives on', async () => {
    const base = tempDir();
    const flag = join(base, 'disk-is-full');
    process.env['CAIRN_TEST_FULL_DISK_FILE'] = flag;
    const url = `http://127.0.0.1:${await freePort()}`;
    node = await startNode({ dataDir: join(base, 'n1'), http: true, listenClientUrls: [url], advertiseClientUrls: [url], heartbeatIntervalMs: 10, electionTimeoutMs: 100, logLevel: 'panic' });
    // One round: the answer to the write in flight is the member's own, not a retry's.
    const client = new Client({ endpoints: [url], retryRounds: 1 });
    await client.put({ key: enc('before'), value: enc('ok') });

    writeFileSync(flag, '');
    const inFlight = await client.put({ key: enc('during'), value: enc('?') }).catch((e: unknown) => e);
    expect(inFlight).toBeInstanceOf(OutcomeUnknownError);

    const failure = await node.failed;
    expect(failure.message).toContain('No space left on device');
    await expect(node.put({ key: enc('after'), value: enc('no') })).rejects.toMatchObject({ code: 'Stopped' });
  });

  it('cairn serve: logs the errno and the path, and exits non-zero', async () => {
    const base = tempDir();
    const flag = join(base, 'disk-is-full');
    const dataDir = join(base, 'm1');
    const clientUrl = `http://127.0.0.1:${await freePort()}`;
    const peerUrl = `http://127.0.0.1:${await freePort()}`;
    const args = [
      '--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve', '--name', 'm1', '--data-dir', dataDir,
      '--listen-client-urls', clientUrl, '--advertise-client-urls', clientUrl,
      '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl, '--initial-cluster', `m1=${peerUrl}`,
      '--heartbeat-interval', '20', '--election-timeout', '200', '--log-level', 'warn',
    ];
    const umask = process.umask(0o022); // inherited by the child
    const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CAIRN_TEST_FULL_DISK_FILE: flag } });
    process.umask(umask);
    let output = '';
    proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((ok) => proc.once('exit', (code) => ok(code)));
    try {
      const client = new Client({ endpoints: [clientUrl] });
      const deadline = Date.now() + 30_000;
      for (;;) {
        const ok = await client.put({ key: enc('before'), value: enc('ok') }).then(() => true, () => false);
        if (ok) break;
        if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`the member did not start: ${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      writeFileSync(flag, '');
      const inFlight = await client.put({ key: enc('during'), value: enc('?') }).catch((e: unknown) => e);
      expect(inFlight).toBeInstanceOf(OutcomeUnknownError);
      expect(await exited).toBe(1);
      expect(output).toContain('"errno":"ENOSPC"');
      expect(output).toContain(`"path":"${dataDir}/db/000003.log"`);
      expect(output).toContain('cairn: fatal storage failure, exiting: ENOSPC');
      // etcd's private modes, whatever the umask the process was started with (022 here).
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      const files = readdirSync(join(dataDir, 'db'));
      expect(files).toContain('LOCK');
      for (const f of files) expect([f, statSync(join(dataDir, 'db', f)).mode & 0o777]).toEqual([f, 0o600]);
    } finally {
      if (proc.exitCode === null) proc.kill('SIGKILL');
    }
  });

  /** Runs `cairn serve` that is expected to fail at start-up; resolves with its exit code and stderr. */
  async function serveFailingAtStart(dataDir: string, env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
    const args = ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve', '--name', 'm1', '--data-dir', dataDir, '--listen-client-urls', 'http://127.0.0.1:0', '--advertise-client-urls', 'http://127.0.0.1:0', '--listen-peer-urls', 'http://127.0.0.1:0'];
    const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((ok) => proc.once('exit', (c) => ok(c)));
    return { code, stderr };
  }

  it('cairn serve on a data dir it cannot create: exits 1 naming the errno and the path', async () => {
    const base = tempDir();
    writeFileSync(join(base, 'file'), '');
    const dataDir = join(base, 'file', 'm1');
    const { code, stderr } = await serveFailingAtStart(dataDir);
    expect(code).toBe(1);
    expect(stderr).toContain(`cairn: ${dataDir}: cannot create the data directory: ENOTDIR`);
  });

  it('cairn serve on a disk that is full before the first write: exits 1 naming the errno and the path', async () => {
    const base = tempDir();
    const flag = join(base, 'disk-is-full');
    writeFileSync(flag, '');
    const dataDir = join(base, 'm1');
    const { code, stderr } = await serveFailingAtStart(dataDir, { CAIRN_TEST_FULL_DISK_FILE: flag });
    expect(code).toBe(1);
    expect(stderr).toContain(`cairn: storage failure at start-up: ENOSPC (${dataDir}/db/000003.log)`);
  });
});
