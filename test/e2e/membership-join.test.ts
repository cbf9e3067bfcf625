/**
 * Growing a running cluster with real `cairn serve` processes, as an operator would with etcd:
 * `member add --learner` through the gateway, start the new process with
 * `--initial-cluster-state existing`, wait for it to catch up, promote it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, gateway, startProcCluster, type ProcCluster } from './processes.js';

const ROOT = resolve(import.meta.dirname, '../..');
const b64 = (s: string) => Buffer.from(s).toString('base64');

let cluster: ProcCluster;
let joiner: ChildProcess | undefined;
let joinerOutput = '';

beforeAll(async () => {
  cluster = await startProcCluster(1, 'e2e-join');
}, 120_000);

afterAll(async () => {
  if (joiner !== undefined && joiner.exitCode === null && joiner.signalCode === null) {
    const exited = new Promise((r) => joiner?.once('exit', r));
    joiner.kill('SIGTERM');
    await exited;
  }
  await cluster?.stopAll();
});

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; joiner output: ${joinerOutput.slice(-2000)}`);
}

describe('member add + join (processes)', () => {
  it('adds a learner, starts it with --initial-cluster-state existing, catches it up and promotes it', async () => {
    const first = cluster.members[0];
    if (first === undefined) throw new Error('no member');
    await gateway(first.clientUrl, '/v3/kv/put', { key: b64('before'), value: b64('join') });
    const peerUrl = `http://127.0.0.1:${await freePort()}`;
    const clientUrl = `http://127.0.0.1:${await freePort()}`;
    const added = await gateway(first.clientUrl, '/v3/cluster/member/add', { peerURLs: [peerUrl], isLearner: true });
    expect(added.status).toBe(200);
    expect(added.json.member.isLearner).toBe(true);
    const id = String(added.json.member.ID);

    const dataDir = join(first.dataDir, '..', 'infra2');
    joiner = spawn(
      process.execPath,
      [
        '--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve',
        '--name', 'infra2', '--data-dir', dataDir,
        '--listen-client-urls', clientUrl, '--advertise-client-urls', clientUrl,
        '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
        '--initial-cluster', `${first.name}=${first.peerUrl},infra2=${peerUrl}`, '--initial-cluster-token', 'e2e-join',
        '--initial-cluster-state', 'existing',
        '--heartbeat-interval', '50', '--election-timeout', '500', '--log-level', 'warn',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    joiner.stdout?.on('data', (d: Buffer) => (joinerOutput += d.toString()));
    joiner.stderr?.on('data', (d: Buffer) => (joinerOutput += d.toString()));

    // The learner serves serializable reads of what was written before it joined.
    const kv = await until('the learner to catch up', async () => {
      const r = await gateway(clientUrl, '/v3/kv/range', { key: b64('before'), serializable: true });
      return r.json.kvs?.[0];
    });
    expect(Buffer.from(kv.value, 'base64').toString()).toBe('join');
    const status = await gateway(clientUrl, '/v3/maintenance/status', {});
    expect(String(status.json.header.member_id)).toBe(id);
    expect(status.json.isLearner).toBe(true);

    const promoted = await until('promotion', async () => {
      const r = await gateway(first.clientUrl, '/v3/cluster/member/promote', { ID: id });
      return r.status === 200 ? r.json : undefined;
    });
    const members = promoted.members as Array<{ ID: string; isLearner?: boolean }>;
    expect(members).toHaveLength(2);
    expect(members.every((m) => m.isLearner !== true)).toBe(true);

    // Two voters now: a write commits only with the new member's vote, and it sees the write.
    expect((await gateway(first.clientUrl, '/v3/kv/put', { key: b64('after'), value: b64('promotion') })).status).toBe(200);
    await until('the write to reach the new voter', async () => {
      const r = await gateway(clientUrl, '/v3/kv/range', { key: b64('after'), serializable: true });
      return r.json.kvs?.[0];
    });
  }, 120_000);
});
