/**
 * A real one-member etcd (Debian's etcd-server, when installed) on free loopback ports, for
 * the tests that compare cairn with it; stopped by its own handle.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../e2e/processes.js';

export const hasEtcd = (): boolean => spawnSync('etcd', ['--version'], { encoding: 'utf8' }).status === 0;

export interface RealEtcd {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  stop(): Promise<void>;
}

export async function startEtcd(dir: string, name = 'compat'): Promise<RealEtcd> {
  const [client, peer] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${client}`;
  const etcd = spawn('etcd', [
    '--name', name, '--data-dir', join(dir, 'etcd'),
    '--listen-client-urls', url, '--advertise-client-urls', url,
    '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
    '--initial-cluster', `${name}=http://127.0.0.1:${peer}`,
  ], { stdio: 'ignore' });
  const stop = async () => {
    if (etcd.exitCode !== null) return;
    const exited = new Promise((r) => etcd.once('exit', r));
    etcd.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 30_000;
  while (!(await fetch(`${url}/health`).then((r) => r.ok, () => false))) {
    if (Date.now() > deadline || etcd.exitCode !== null) {
      await stop();
      throw new Error('etcd did not start');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, stop };
}
