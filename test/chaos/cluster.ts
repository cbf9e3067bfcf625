/**
 * A chaos cluster: N `cairn serve` processes on 127.0.0.1, each behind a PeerProxy. Members
 * advertise their proxy's port and listen on their own, so every peer byte can be cut. Member
 * output goes to `<runDir>/<name>.log` (kept on failure). Every process is stopped by its PID,
 * also when the harness process exits abnormally.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from '../e2e/processes.js';
import { PeerProxy, type LinkMode } from './proxy.js';

const ROOT = resolve(import.meta.dirname, '../..');

export type DiskKind = 'level' | 'file' | 'file-nosync';

export interface ChaosMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerPort: number;
  readonly proxy: PeerProxy;
  readonly dataDir: string;
  readonly syncDelayFile: string;
  readonly disk: DiskKind;
  /** Hex member id, learned from /v3/maintenance/status once it answers. */
  id: string | undefined;
  proc: ChildProcess | undefined;
  stopped: boolean;
  log: WriteStream;
  /** The last few KB its current process wrote (why a start failed). */
  output?: string;
  /** Removed and re-added (membership fault): starts with `--initial-cluster-state existing`. */
  joinExisting: boolean;
}

const live = new Set<ChildProcess>();
/** Experiments only: members talk directly (no fault injection possible). */
let cluster_noProxy = false;
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort: never leave a member running after the harness dies. A signal's default action
  // skips 'exit', so SIGINT/SIGTERM exit explicitly to run the hook below.
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
  process.on('exit', () => {
    for (const p of live) if (p.pid !== undefined && p.exitCode === null) {
      try {
        process.kill(p.pid, 'SIGCONT');
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

export class ChaosCluster {
  readonly members: ChaosMember[] = [];

  private constructor(
    readonly runDir: string,
    private readonly initialCluster: string,
    private readonly token: string,
  ) {}

  static async create(o: { size: number; runDir: string; disk: (i: number) => DiskKind; token?: string; noProxy?: boolean }): Promise<ChaosCluster> {
    installExitHook();
    mkdirSync(o.runDir, { recursive: true });
    const specs: Array<Omit<ChaosMember, 'id' | 'proc' | 'stopped' | 'log' | 'joinExisting'>> = [];
    for (let i = 1; i <= o.size; i++) {
      const proxy = new PeerProxy(await freePort(), await freePort());
      specs.push({
        name: `m${i}`,
        clientUrl: `http://127.0.0.1:${await freePort()}`,
        peerPort: proxy.targetPort,
        proxy,
        dataDir: join(o.runDir, `m${i}.data`),
        syncDelayFile: join(o.runDir, `m${i}.sync-delay`),
        disk: o.disk(i),
      });
    }
    const initialCluster = specs.map((s) => `${s.name}=http://127.0.0.1:${o.noProxy === true ? s.peerPort : s.proxy.port}`).join(',');
    cluster_noProxy = o.noProxy === true;
    const cluster = new ChaosCluster(o.runDir, initialCluster, o.token ?? 'chaos');
    for (const s of specs) {
      writeFileSync(s.syncDelayFile, '0');
      await s.proxy.start();
      cluster.members.push({ ...s, id: undefined, proc: undefined, stopped: false, joinExisting: false, log: createWriteStream(join(o.runDir, `${s.name}.log`), { flags: 'a' }) });
    }
    return cluster;
  }

  async startAll(): Promise<void> {
    await Promise.all(this.members.map((m) => this.start(m)));
  }

  isUp(m: ChaosMember): boolean {
    return m.proc !== undefined && m.proc.exitCode === null && m.proc.signalCode === null;
  }

  /**
   * Spawns the member (it keeps its data dir) and waits until its client URL answers. While a
   * member is down its ports are free for any process on the machine to take (a bench or a test
   * run beside the chaos run did: seed 2600 ended after 43 minutes on EADDRINUSE). That is the
   * machine's doing, not cairn's, so a start refused for a port in use is tried again for up to
   * a minute, as a supervisor restarting the unit would; any other start failure ends the run.
   */
  async start(m: ChaosMember): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.startOnce(m);
      } catch (err) {
        if (attempt >= 30 || !/EADDRINUSE/.test(m.output ?? '')) throw err;
        m.log.write(`=== ${new Date().toISOString()} a port of ${m.name} is taken by another process; starting again in 2 s (attempt ${attempt})\n`);
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  }

  private async startOnce(m: ChaosMember): Promise<void> {
    const args = [
      '--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve',
      '--name', m.name, '--data-dir', m.dataDir,
      '--listen-client-urls', m.clientUrl, '--advertise-client-urls', m.clientUrl,
      '--listen-peer-urls', `http://127.0.0.1:${m.peerPort}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${cluster_noProxy ? m.peerPort : m.proxy.port}`,
      '--initial-cluster', this.initialCluster, '--initial-cluster-token', this.token,
      '--heartbeat-interval', '50', '--election-timeout', '500', '--log-level', 'warn',
      ...(m.joinExisting ? ['--initial-cluster-state', 'existing'] : []),
    ];
    const env = { ...process.env, CAIRN_TEST_DISK: m.disk, CAIRN_TEST_SYNC_DELAY_FILE: m.syncDelayFile };
    const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env });
    live.add(proc);
    m.proc = proc;
    m.stopped = false;
    m.log.write(`\n=== ${new Date().toISOString()} start pid ${proc.pid} (disk ${m.disk})\n`);
    m.output = '';
    const keep = (d: Buffer) => {
      m.log.write(d);
      m.output = ((m.output ?? '') + d.toString()).slice(-4096);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    proc.once('exit', (code, signal) => {
      live.delete(proc);
      m.log.write(`=== ${new Date().toISOString()} exit pid ${proc.pid} code ${code} signal ${signal}\n`);
    });
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`${m.name} exited ${proc.exitCode} at start (log: ${join(this.runDir, `${m.name}.log`)})`);
      try {
        const r = await fetch(`${m.clientUrl}/v3/maintenance/status`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(1000) });
        if (r.ok) {
          const s = (await r.json()) as { header: { member_id: string } };
          m.id = BigInt(s.header.member_id).toString(16);
          return;
        }
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${m.name} did not start within 60 s`);
  }

  /** Sends `signal` and, for a kill, waits for the exit. */
  async signal(m: ChaosMember, signal: 'SIGKILL' | 'SIGTERM' | 'SIGSTOP' | 'SIGCONT'): Promise<void> {
    const proc = m.proc;
    if (proc === undefined || !this.isUp(m)) return;
    if (signal === 'SIGSTOP' || signal === 'SIGCONT') {
      proc.kill(signal);
      m.stopped = signal === 'SIGSTOP';
      return;
    }
    const exited = new Promise((r) => proc.once('exit', r));
    if (m.stopped) proc.kill('SIGCONT');
    proc.kill(signal);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (this.isUp(m)) {
      proc.kill('SIGKILL');
      await exited;
    }
    m.proc = undefined;
    m.stopped = false;
  }

  /** Waits up to `ms` for the member's process to exit by itself (a removed member does). */
  async exited(m: ChaosMember, ms: number): Promise<boolean> {
    const proc = m.proc;
    if (proc === undefined || !this.isUp(m)) return true;
    await Promise.race([new Promise((r) => proc.once('exit', r)), new Promise((r) => setTimeout(r, ms))]);
    if (this.isUp(m)) return false;
    m.proc = undefined;
    m.stopped = false;
    return true;
  }

  /** Deletes a stopped member's data dir: its next start joins the cluster as a new member. */
  wipe(m: ChaosMember): void {
    if (this.isUp(m)) throw new Error(`${m.name} is still running; stop it before wiping its data`);
    rmSync(m.dataDir, { recursive: true, force: true });
    m.joinExisting = true;
    m.id = undefined;
  }

  /** The URL other members reach this member's peer port at (its proxy). */
  advertisedPeerUrl(m: ChaosMember): string {
    return `http://127.0.0.1:${cluster_noProxy ? m.peerPort : m.proxy.port}`;
  }

  setSyncDelay(m: ChaosMember, ms: number): void {
    writeFileSync(m.syncDelayFile, String(ms));
  }

  /** One-way cut or slow link: bytes from `from` to `to` are dropped, refused or delayed. */
  cut(from: ChaosMember, to: ChaosMember, mode: Exclude<LinkMode, 'pass'>): void {
    if (from.id !== undefined) to.proxy.setMode(from.id, mode);
  }

  heal(): void {
    for (const m of this.members) {
      m.proxy.heal();
      this.setSyncDelay(m, 0);
    }
  }

  /** Stops every process by PID (SIGCONT first, so a paused one can die) and the proxies. */
  async stopAll(): Promise<void> {
    await Promise.all(this.members.map((m) => this.signal(m, 'SIGTERM').catch(() => undefined)));
    for (const m of this.members) {
      await m.proxy.stop();
      await new Promise<void>((r) => m.log.end(() => r()));
    }
  }
}
