/**
 * etcdctl 3.4 (a gRPC client nobody here wrote) runs one sequence of commands against a fresh
 * single-member cairn and checks every output (stdout, stderr without zap log lines, exit code)
 * against etcd 3.4.23's, after normalising what legitimately differs: IDs, ports, sizes,
 * hashes, raft indices and timings. Where etcd is installed the same sequence runs against it
 * too, so the expectations are checked against the real thing in every run that can.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ETCDCTL, startCairn, startEtcd, type Endpoints } from './servers.js';

interface Run {
  readonly out: string;
  readonly err: string;
  readonly code: number;
}

/** Drops zap's JSON log lines (etcdctl logs retries and snapshot progress to stderr). */
const noLogs = (text: string): string =>
  text
    .split('\n')
    .filter((l) => !l.startsWith('{"level"'))
    .join('\n');

function normalise(text: string): string {
  return noLogs(text)
    .replace(/127\.0\.0\.1:\d+/g, '<EP>')
    .replace(/"(cluster_id|member_id|raft_term)":\d+/g, '"$1":<N>')
    .replace(/\b[0-9a-f]{12,16}\b/g, '<ID>')
    // etcdctl pads IDs to 16 columns (%16x); cairn's IDs are shorter (below 2^53).
    .replace(/ +<ID>/g, ' <ID>')
    // Members come sorted by their (random) IDs, in etcd as in cairn.
    .replace(/ETCD_INITIAL_CLUSTER="([^"]*)"/, (_, v: string) => `ETCD_INITIAL_CLUSTER="${v.split(',').sort().join(',')}"`)
    .replace(/took = [^\n]+/g, 'took = <T>')
    .replace(/remaining\(\d+s\)/g, 'remaining(<N>s)')
    ;
}

function etcdctl(host: string, args: readonly string[], stdin = ''): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(ETCDCTL, ['--endpoints', host, ...args], { env: { ETCDCTL_API: '3', PATH: process.env['PATH'] }, timeout: 15_000 }, (error, out, err) =>
      resolve({ out, err, code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1 }),
    );
    child.stdin?.on('error', () => undefined); // etcdctl may exit before reading stdin
    child.stdin?.end(stdin);
  });
}

/**
 * A command that never ends by itself (elect, watch): its output once `lines` lines are out,
 * then SIGINT. `whileRunning` runs once the command has had time to open its stream.
 */
function etcdctlUntil(host: string, args: readonly string[], lines: number, whileRunning?: () => Promise<unknown>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(ETCDCTL, ['--endpoints', host, ...args], { env: { ETCDCTL_API: '3', PATH: process.env['PATH'] } });
    if (whileRunning) setTimeout(() => void whileRunning().catch(reject), 500);
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`etcdctl ${args.join(' ')}: only ${JSON.stringify(out)}`));
    }, 10_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.split('\n').length > lines) {
        clearTimeout(timer);
        child.once('exit', () => resolve(out));
        child.kill('SIGINT');
      }
    });
  });
}

/** Runs the sequence; returns each step's normalised transcript. */
async function transcript(host: string): Promise<string[]> {
  const steps: string[] = [];
  const step = async (args: readonly string[], stdin?: string): Promise<Run> => {
    const r = await etcdctl(host, args, stdin);
    steps.push(normalise(`$ ${args.join(' ')}\n${r.out}${r.err}exit ${r.code}`));
    return r;
  };
  await step(['put', 'a', 'b']);
  await step(['get', 'a']);
  await step(['put', 'a', 'c']);
  await step(['get', 'a', '-w', 'json']);
  await step(['put', '', 'x']);
  await step(['get', '--rev', '1000', 'a']);
  await step(['put', 'k', 'v', '--lease=1234']);
  await step(['put', 'missing', '--ignore-value']);
  await step(['txn'], 'mod("k") > "0"\n\nput k v2\n\nput k v1\nget k\n\n');
  await step(['get', '', '--prefix', '--keys-only']);
  const grant = await step(['lease', 'grant', '30']);
  const lease = /lease ([0-9a-f]+) granted/.exec(grant.out)?.[1] ?? 'none';
  await step(['put', 'leased', 'v', `--lease=${lease}`]);
  await step(['lease', 'timetolive', '--keys', lease]);
  await step(['lease', 'keep-alive', '--once', lease]);
  await step(['lease', 'list']);
  await step(['lease', 'revoke', lease]);
  await step(['lease', 'timetolive', lease]);
  await step(['lease', 'keep-alive', '--once', lease]);
  await step(['lease', 'revoke', '1234']);
  await step(['get', 'leased']);
  await step(['member', 'list']);
  const added = await step(['member', 'add', 'l1', '--peer-urls=http://127.0.0.1:1', '--learner']);
  const learner = /Member\s+([0-9a-f]+) added/.exec(added.out)?.[1] ?? 'none';
  await step(['member', 'promote', learner]);
  await step(['member', 'remove', learner]);
  await step(['member', 'remove', learner]);
  steps.push(normalise((await etcdctl(host, ['endpoint', 'hashkv'])).out).replace(/, \d+$/m, ', <HASH>'));
  await step(['endpoint', 'health']);
  await step(['alarm', 'list']);
  await step(['defrag']);
  await step(['compaction', '5']);
  await step(['get', '--rev', '1', 'a']);
  await step(['watch', 'a', '--rev', '1']);
  const events = etcdctlUntil(host, ['watch', 'w', '--prefix', '--prev-kv'], 11, async () => {
    await etcdctl(host, ['put', 'w1', 'x']);
    await etcdctl(host, ['put', 'w1', 'y']);
    await etcdctl(host, ['del', 'w1']);
  });
  steps.push(`$ watch w --prefix --prev-kv\n${await events}`);
  await step(['move-leader', '1234']);
  await step(['lock', 'L', '--', 'echo', 'hi']);
  await step(['del', '', '--prefix']);
  steps.push(normalise(await etcdctlUntil(host, ['elect', 'E', 'p1'], 2)));
  const status = await step(['endpoint', 'status']);
  steps.pop();
  // Sizes, raft indices and terms differ between implementations; the shape must not.
  steps.push(status.out.replace(/^127\.0\.0\.1:\d+, [0-9a-f]{12,16}, [\d.]+(\+cairn\.[\d.]+)?, [\d.]+ kB, true, false, \d+, \d+, \d+, \n$/, 'status OK'));
  return steps;
}

const servers: Endpoints[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
});

describe('etcdctl 3.4 against cairn, compared with etcd', () => {
  it('prints what it prints against etcd for the same sequence', async (ctx) => {
    if (!existsSync(ETCDCTL)) {
      console.log(`skipping: ${ETCDCTL} is not installed`);
      return ctx.skip();
    }
    const cairn = await startCairn(1);
    servers.push(cairn);
    const got = await transcript(cairn.hosts[0] as string);
    expect(got.join('\n\n')).toMatchSnapshot();
    const etcd = await startEtcd();
    if (etcd === undefined) return;
    servers.push(etcd);
    expect(await transcript(etcd.hosts[0] as string)).toEqual(got);
  }, 60_000);
});
