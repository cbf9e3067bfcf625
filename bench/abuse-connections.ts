/**
 * Reproduces issue 15 items 3 and 4 at full scale against a real member and reports whether it
 * stayed healthy: `npm run bench:abuse-conns [-- --slow 3000 --peers 100 --ulimit 400]`.
 *
 * 1. Slow clients: `--slow` POSTs with `Content-Length: 100000` that send one byte every 20 s,
 *    against a member started under `ulimit -n <--ulimit>` (before the fix, 450 of them made
 *    /health and puts time out and LevelDB log EMFILE).
 * 2. Strangers on the peer port: `--peers` connections that each announce a 16 MiB frame and
 *    stream it before any handshake (before the fix, 40 took RSS from 224 MB to 838 MB, never
 *    returned).
 *
 * `--root DIR` runs the member from another checkout (e.g. the code before the fix, extracted
 * with `git archive <commit> | tar -x -C DIR` and `node_modules` linked in) and writes its own section.
 *
 * Meanwhile /health and a put are probed twice a second over a connection opened before the
 * flood and over a new connection each time. Each member is a child process on free 127.0.0.1
 * ports with a temp data dir, stopped by its PID; peak RSS is the kernel's VmHWM. Writes its
 * section of bench/RESULTS.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../test/e2e/processes.js';
import { machineFacts, writeSection } from './wal-report.js';

const argText = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const arg = (name: string, fallback: number) => Number(argText(name) ?? fallback);
const OTHER_ROOT = argText('root');
/** What the other checkout is, for the section's heading (e.g. "before the fix, 78450d5"). */
const LABEL = argText('label') ?? OTHER_ROOT;
const ROOT = OTHER_ROOT !== undefined ? resolve(OTHER_ROOT) : resolve(import.meta.dirname, '..');
const SLOW = arg('slow', 3000);
const PEERS = arg('peers', 100);
const ULIMIT = arg('ulimit', 400);
const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Member {
  readonly proc: ChildProcess;
  readonly client: string;
  readonly peerPort: number;
  readonly logPath: string;
  stop(): Promise<void>;
}

/** `cairn serve` under `bash -c 'ulimit -n N; exec node …'`, so the PID is the member's own. */
async function startMember(name: string, ulimit: number | undefined): Promise<Member> {
  const dir = mkdtempSync(join(tmpdir(), `bench-abuse-${name}-`));
  const client = `http://127.0.0.1:${await freePort()}`;
  const peerPort = await freePort();
  const peer = `http://127.0.0.1:${peerPort}`;
  const logPath = join(dir, 'member.log');
  const log = openSync(logPath, 'w');
  const argv = [process.execPath, '--import', 'tsx', 'src/cli/main.ts', 'serve', '--name', name, '--data-dir', join(dir, 'data'),
    '--listen-client-urls', client, '--advertise-client-urls', client, '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer, '--initial-cluster', `${name}=${peer}`, '--log-level', 'warn'];
  const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const script = ulimit === undefined ? `exec ${quoted}` : `ulimit -n ${ulimit} && exec ${quoted}`;
  const proc = spawn('bash', ['-c', script], { cwd: ROOT, stdio: ['ignore', log, log] });
  const stop = async () => {
    if (proc.exitCode === null) {
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  while (!(await fetch(`${client}/health`).then((r) => r.ok, () => false))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      const out = readFileSync(logPath, 'utf8');
      await stop();
      throw new Error(`member ${name} did not start:\n${out}`);
    }
    await sleep(100);
  }
  return { proc, client, peerPort, logPath, stop };
}

/** Current and peak resident set of a process, in MiB (Linux /proc). */
function rss(pid: number): { now: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { now: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

interface ProbeStats {
  ok: number;
  failed: number;
  worstMs: number;
}

/** One /health or put, answered 200 within 3 s? Over `agent` (kept-alive) or a new connection. */
function probeOnce(base: string, agent: Agent | false, i: number): Promise<number | undefined> {
  const put = i % 2 === 1;
  const body = put ? JSON.stringify({ key: Buffer.from(`probe/${i}`).toString('base64'), value: 'eA==' }) : undefined;
  const url = new URL(put ? '/v3/kv/put' : '/health', base);
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = request(url, { method: put ? 'POST' : 'GET', agent, timeout: 3000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200 ? performance.now() - t0 : undefined));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end(body);
  });
}

/** Probes twice a second until stopped: over one kept-alive connection and over new ones. */
function probe(base: string): { kept: ProbeStats; fresh: ProbeStats; stop(): Promise<void> } {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const kept: ProbeStats = { ok: 0, failed: 0, worstMs: 0 };
  const fresh: ProbeStats = { ok: 0, failed: 0, worstMs: 0 };
  let running = true;
  const note = (s: ProbeStats, ms: number | undefined) => {
    if (ms === undefined) s.failed++;
    else {
      s.ok++;
      s.worstMs = Math.max(s.worstMs, ms);
    }
  };
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const [a, b] = await Promise.all([probeOnce(base, agent, i), probeOnce(base, false, i)]);
      note(kept, a);
      note(fresh, b);
      await sleep(500);
    }
  })();
  return {
    kept,
    fresh,
    stop: async () => {
      running = false;
      await loop;
      agent.destroy();
    },
  };
}

const fmt = (s: ProbeStats) => `${s.ok} ok / ${s.failed} failed (slowest ${s.worstMs.toFixed(0)} ms)`;

/** Samples RSS every 200 ms until stopped; returns the highest VmRSS seen. */
function sampleRss(pid: number): { stop(): number } {
  let max = 0;
  const timer = setInterval(() => {
    try {
      max = Math.max(max, rss(pid).now);
    } catch {
      // the member exited; the caller reports it
    }
  }, 200);
  return {
    stop: () => {
      clearInterval(timer);
      return max;
    },
  };
}

async function slowClients(): Promise<string[]> {
  const m = await startMember('slow', ULIMIT);
  const pid = m.proc.pid as number;
  try {
    const base = rss(pid).now;
    const probes = probe(m.client);
    await sleep(1000); // the kept-alive probe connection is open before the flood
    const sampler = sampleRss(pid);
    const { port } = new URL(m.client);
    const sockets: net.Socket[] = [];
    const state = { closedUnanswered: 0, answered408: 0, firstAt: 0, lastAt: 0, benchClosing: false };
    const t0 = Date.now();
    for (let i = 0; i < SLOW; i++) {
      const s = net.connect({ host: '127.0.0.1', port: Number(port) });
      let text = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => (text += d));
      s.on('error', () => undefined);
      s.on('connect', () => s.write('POST /v3/kv/put HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n{'));
      s.on('close', () => {
        if (state.benchClosing) return;
        if (text.startsWith('HTTP/1.1 408')) {
          state.answered408++;
          const at = Date.now() - t0;
          state.firstAt ||= at;
          state.lastAt = at;
        } else state.closedUnanswered++;
      });
      sockets.push(s);
      if (i % 200 === 199) await sleep(20);
    }
    const drip = setInterval(() => sockets.forEach((s) => s.destroyed || s.write('a')), 20_000);
    await sleep(3000);
    const heldAfter3s = sockets.filter((s) => !s.destroyed).length;
    // Until every held one is answered (30 s body timeout) or 60 s pass.
    const deadline = Date.now() + 60_000;
    while (sockets.some((s) => !s.destroyed) && Date.now() < deadline) await sleep(500);
    clearInterval(drip);
    const stillOpen = sockets.filter((s) => !s.destroyed).length;
    state.benchClosing = true;
    sockets.forEach((s) => s.destroy());
    await sleep(2000);
    await probes.stop();
    const peak = Math.max(sampler.stop(), rss(pid).peak);
    const after = await probeOnce(m.client, false, 1);
    const log = readFileSync(m.logPath, 'utf8');
    const emfile = (log.match(/EMFILE/g) ?? []).length;
    const alive = m.proc.exitCode === null;
    return [
      `### 1. ${SLOW} slow POSTs (\`Content-Length: 100000\`, one byte every 20 s), member under \`ulimit -n ${ULIMIT}\``,
      '',
      `- member RSS: ${base.toFixed(0)} MiB before, peak ${peak.toFixed(0)} MiB (VmHWM)`,
      `- connections held by the member 3 s into the flood: ${heldAfter3s} (--max-connections default: half of ulimit -n = ${Math.floor(ULIMIT / 2)})`,
      `- closed by the member without an answer (over --max-connections): ${state.closedUnanswered}`,
      `- answered \`408\` (body timeout, 30 s): ${state.answered408}, between ${(state.firstAt / 1000).toFixed(1)} s and ${(state.lastAt / 1000).toFixed(1)} s after the flood began; still open at the end: ${stillOpen}`,
      `- /health and puts over a connection opened before the flood: ${fmt(probes.kept)}`,
      `- /health and puts over a new connection each: ${fmt(probes.fresh)} (new connections are refused while the slots are full, by design)`,
      `- after the flood: put over a new connection ${after !== undefined ? 'ok' : 'FAILED'}; member ${alive ? 'alive' : 'EXITED'}; \`EMFILE\` in its log: ${emfile}`,
    ];
  } finally {
    await m.stop();
  }
}

async function peerStrangers(): Promise<string[]> {
  const m = await startMember('peer', undefined);
  const pid = m.proc.pid as number;
  try {
    await sleep(1000);
    const base = rss(pid).now;
    const probes = probe(m.client);
    const sampler = sampleRss(pid);
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const results = await Promise.all(
      Array.from({ length: PEERS }, () =>
        new Promise<{ written: number; closedByMember: boolean }>((resolve) => {
          const s = net.connect({ host: '127.0.0.1', port: m.peerPort });
          let written = 0;
          let closedByMember = false;
          const pump = () => {
            while (written < 16 * MiB && !s.destroyed) {
              written += chunk.length;
              if (!s.write(chunk)) return;
            }
          };
          s.on('connect', () => {
            const header = Buffer.alloc(4);
            header.writeUInt32BE(16 * MiB - 1);
            s.write(header);
            pump();
          });
          s.on('drain', pump);
          s.on('error', () => (closedByMember = true));
          s.on('end', () => (closedByMember = true));
          s.on('close', () => resolve({ written, closedByMember }));
          setTimeout(() => s.destroy(), 15_000);
        }),
      ),
    );
    const during = sampler.stop();
    await sleep(5000);
    const after = rss(pid).now;
    await probes.stop();
    const log = readFileSync(m.logPath, 'utf8');
    const limitLines = (log.match(/already in their handshake/g) ?? []).length;
    const frameLines = (log.match(/exceeds the limit of 8192/g) ?? []).length;
    const closed = results.filter((r) => r.closedByMember).length;
    const mostWritten = Math.max(...results.map((r) => r.written));
    return [
      `### 2. ${PEERS} connections to the peer port, each sending a 16 MiB frame before any handshake`,
      '',
      `- member RSS: ${base.toFixed(0)} MiB before, peak ${Math.max(during, rss(pid).peak).toFixed(0)} MiB (VmHWM), ${after.toFixed(0)} MiB 5 s after they closed`,
      `- closed by the member: ${closed} of ${PEERS}; the most any one wrote into its socket before the close: ${(mostWritten / MiB).toFixed(2)} MiB (kernel buffers included)`,
      `- member log: ${frameLines} line(s) for the 8 KiB pre-handshake frame limit (repeats of one reason are logged once), ${limitLines} throttled line(s) for the 64-connection handshake limit`,
      `- /health and puts over a kept-alive connection: ${fmt(probes.kept)}; over new connections: ${fmt(probes.fresh)}`,
      `- member ${m.proc.exitCode === null ? 'alive' : 'EXITED'} at the end`,
    ];
  } finally {
    await m.stop();
  }
}

const started = Date.now();
const facts = machineFacts(tmpdir());
const first = await slowClients();
console.log(first.join('\n'));
const second = await peerStrangers();
console.log(second.join('\n'));
const command = `npm run bench:abuse-conns -- --slow ${SLOW} --peers ${PEERS} --ulimit ${ULIMIT}${OTHER_ROOT !== undefined ? ` --root ${OTHER_ROOT} --label '${LABEL}'` : ''}`;
writeSection(
  OTHER_ROOT !== undefined ? 'abuse-connections-other' : 'abuse-connections',
  [
    OTHER_ROOT !== undefined
      ? `## Slow clients and peer-port strangers, ${LABEL} (bench/abuse-connections.ts)`
      : '## Slow clients and peer-port strangers (bench/abuse-connections.ts)',
    '',
    `Command: \`${command}\` (took ${((Date.now() - started) / 1000).toFixed(0)} s)`,
    '',
    facts,
    '- members run with `node --import tsx` (the TypeScript loader adds to the baseline RSS)',
    '',
    ...first,
    '',
    ...second,
  ].join('\n'),
);
