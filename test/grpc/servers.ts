/**
 * Servers for the gRPC compatibility tests: a cairn cluster of embedded members (real LevelDB,
 * TCP between members, gateway + gRPC on each client port) and, where installed, a real etcd
 * 3.4 (/usr/bin/etcd) on free loopback ports, stopped by its own PID.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNode, type CairnNode } from '../../src/index.js';
import { freePort } from '../e2e/processes.js';

export const ETCD = '/usr/bin/etcd';
export const ETCDCTL = '/usr/bin/etcdctl';

export interface Endpoints {
  /** host:port of each member's client URL, as etcdctl and etcd3 take them. */
  readonly hosts: readonly string[];
  stop(): Promise<void>;
}

export interface CairnEndpoints extends Endpoints {
  /** Stops one member (by index in `hosts`), leaving the others running. */
  stopMember(i: number): Promise<void>;
}

async function waitForLeader(hosts: readonly string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`http://${hosts[0]}/v3/maintenance/status`, { method: 'POST', body: '{}' });
      const s = (await r.json()) as { leader?: string };
      if (r.ok && s.leader !== undefined && s.leader !== '0') return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no leader on ${hosts.join(',')}`);
}

export async function startCairn(size: number): Promise<CairnEndpoints> {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-grpc-'));
  const members = [];
  for (let i = 1; i <= size; i++) {
    members.push({ name: size === 1 ? 'default' : `m${i}`, client: `http://127.0.0.1:${await freePort()}`, peer: `http://127.0.0.1:${await freePort()}` });
  }
  const initialCluster = new Map(members.map((m) => [m.name, [m.peer]] as const));
  const nodes: CairnNode[] = await Promise.all(
    members.map((m) =>
      startNode({
        http: true,
        name: m.name,
        dataDir: join(dir, m.name),
        listenClientUrls: [m.client],
        advertiseClientUrls: [m.client],
        listenPeerUrls: [m.peer],
        initialAdvertisePeerUrls: [m.peer],
        initialCluster,
        heartbeatIntervalMs: 20,
        electionTimeoutMs: 200,
        logLevel: 'error',
      }),
    ),
  );
  const hosts = members.map((m) => m.client.slice('http://'.length));
  await waitForLeader(hosts);
  const running = new Set(nodes);
  const stopNode = async (n: CairnNode | undefined): Promise<void> => {
    if (n === undefined || !running.delete(n)) return;
    await n.close();
  };
  return {
    hosts,
    stopMember: (i) => stopNode(nodes[i]),
    stop: async () => {
      await Promise.all(nodes.map(stopNode));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A single-member etcd, or undefined (with the reason printed) where it is not installed.
 * `flags`: more of etcd's flags (e.g. `--grpc-keepalive-min-time=1s`).
 */
export async function startEtcd(flags: readonly string[] = []): Promise<Endpoints | undefined> {
  if (!existsSync(ETCD)) {
    console.log(`skipping the etcd comparison: ${ETCD} is not installed`);
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'etcd-grpc-'));
  const client = `http://127.0.0.1:${await freePort()}`;
  const peer = `http://127.0.0.1:${await freePort()}`;
  const proc = spawn(
    ETCD,
    [
      '--data-dir', join(dir, 'data'), '--listen-client-urls', client, '--advertise-client-urls', client,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `default=${peer}`,
      '--log-level', 'error', '--logger', 'zap', ...flags,
    ],
    { stdio: 'ignore' },
  );
  const hosts = [client.slice('http://'.length)];
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForLeader(hosts);
  } catch (err) {
    await stop();
    throw err;
  }
  return { hosts, stop };
}
