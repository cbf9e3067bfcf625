/**
 * `npm run cluster`: three members on loopback in one terminal, like etcd's Procfile (clients on
 * 2379/22379/32379, peers on 12380/22380/32380, data in ./infraN.cairn). Output is prefixed and
 * coloured per member; Ctrl-C stops them all. `--base-port N` shifts every port by N - 2379.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
// Resolved here so members start from any working directory (their data dirs land in it).
const tsxLoader = import.meta.resolve('tsx');
const i = process.argv.indexOf('--base-port');
const shift = i >= 0 ? Number(process.argv[i + 1]) - 2379 : 0;
const members = [1, 2, 3].map((n) => ({
  name: `infra${n}`,
  client: `http://127.0.0.1:${(n === 1 ? 2379 : n * 10000 + 2379) + shift}`,
  peer: `http://127.0.0.1:${n * 10000 + 2380 + shift}`,
}));
const initialCluster = members.map((m) => `${m.name}=${m.peer}`).join(',');
const colours = ['\x1b[36m', '\x1b[35m', '\x1b[33m'];
const reset = '\x1b[0m';

const children: ChildProcess[] = members.map((m, idx) => {
  const child = spawn(
    process.execPath,
    [
      '--import', tsxLoader, resolve(root, 'src/cli/main.ts'), 'serve',
      '--name', m.name,
      '--listen-client-urls', m.client, '--advertise-client-urls', m.client,
      '--listen-peer-urls', m.peer, '--initial-advertise-peer-urls', m.peer,
      '--initial-cluster-token', 'etcd-cluster-1', '--initial-cluster', initialCluster,
      '--initial-cluster-state', 'new', ...process.argv.slice(2).filter((a, j, all) => a !== '--base-port' && all[j - 1] !== '--base-port'),
    ],
    { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const prefix = `${colours[idx]}${m.name.padEnd(7)}|${reset} `;
  const pipe = (stream: NodeJS.ReadableStream | null, out: NodeJS.WriteStream) => {
    let buf = '';
    stream?.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        out.write(prefix + buf.slice(0, nl) + '\n');
        buf = buf.slice(nl + 1);
      }
    });
  };
  pipe(child.stdout, process.stdout);
  pipe(child.stderr, process.stderr);
  child.on('exit', (code, signal) => {
    process.stderr.write(`${prefix}exited (${signal ?? code})\n`);
    if (!stopping) stopAll(1);
  });
  return child;
});

let stopping = false;
function stopAll(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  let left = children.filter((c) => c.exitCode === null).length;
  if (left === 0) process.exit(code);
  for (const c of children) c.once('exit', () => --left === 0 && process.exit(code));
  setTimeout(() => process.exit(code), 10_000).unref();
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));
console.log(`cairn cluster: ${members.map((m) => `${m.name} ${m.client}`).join(', ')} (Ctrl-C stops all)`);
