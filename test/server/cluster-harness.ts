/**
 * In-process members over MemoryDataDir disks and a MemoryNetwork, with real (fast) timers.
 * Disks outlive members, so a test can stop, crash (power loss) and restart a member.
 */
import { defaultConfig, type MemberConfig } from '../../src/server/config.js';
import { Member, type MemberOptions } from '../../src/server/member.js';
import { MemoryDataDir } from '../../src/storage/data-dir.js';
import { MemoryKvDir } from '../../src/storage/memory-kv-dir.js';
import { MemoryNetwork } from '../../src/transport/memory-network.js';
import { MemoryTransport } from '../../src/transport/memory-transport.js';
import { SystemClock } from '../../src/util/clock.js';
import { SeededRng } from '../../src/util/rng.js';

export interface TestCluster {
  readonly names: string[];
  readonly network: MemoryNetwork;
  readonly disks: Map<string, MemoryKvDir>;
  readonly members: Map<string, Member>;
  /** Every log line the members wrote, as `<member name>: <message>`. */
  readonly logs: string[];
  config(name: string): MemberConfig;
  /** `extra` adds member options for this start only (test hooks); `configOverrides` its configuration (e.g. forceNewCluster). */
  start(name: string, extra?: Partial<MemberOptions>, configOverrides?: Partial<MemberConfig>): Promise<Member>;
  stop(name: string): Promise<void>;
  /** Power loss: the disk keeps only what was synced; the member's process is gone. */
  crash(name: string, seed?: number): Promise<void>;
  leader(): Promise<Member>;
  stopAll(): Promise<void>;
}

export async function startCluster(size: number, overrides: Partial<MemberConfig> = {}, seed = 1): Promise<TestCluster> {
  const names = Array.from({ length: size }, (_, i) => `m${i + 1}`);
  const url = (name: string) => `http://${name}:2380`;
  const initialCluster = new Map(names.map((n) => [n, [url(n)]]));
  const network = new MemoryNetwork({ rng: new SeededRng(seed) });
  const disks = new Map(names.map((n) => [n, new MemoryKvDir(n)]));
  const members = new Map<string, Member>();
  const logs: string[] = [];
  const logger = (name: string) => {
    const line = (_obj: object, msg: string) => void logs.push(`${name}: ${msg}`);
    return { debug: () => undefined, info: line, warn: line, error: line };
  };
  const rng = new SeededRng(seed);
  const clock = new SystemClock();

  const config = (name: string): MemberConfig => ({
    ...defaultConfig(name),
    initialCluster,
    initialAdvertisePeerUrls: [url(name)],
    listenPeerUrls: [url(name)],
    heartbeatIntervalMs: 10,
    electionTimeoutMs: 100,
    ...overrides,
  });

  const start = async (name: string, extra: Partial<MemberOptions> = {}, configOverrides: Partial<MemberConfig> = {}): Promise<Member> => {
    const disk = disks.get(name) as MemoryKvDir;
    const member = await Member.start({
      config: { ...config(name), ...configOverrides },
      dataDir: await MemoryDataDir.open(disk),
      clock,
      rng: rng.fork(),
      logger: logger(name),
      transport: (handler, ids) =>
        new MemoryTransport({ id: ids.memberId, clusterId: ids.clusterId.toString(16), url: url(name), network, handler }),
      ...extra,
    });
    members.set(name, member);
    return member;
  };

  const stop = async (name: string): Promise<void> => {
    const m = members.get(name);
    members.delete(name);
    await m?.stop();
  };

  const crash = async (name: string, seed = 1): Promise<void> => {
    const m = members.get(name);
    members.delete(name);
    disks.get(name)?.powerLoss('drop', new SeededRng(seed));
    // Its storage handles now fail; stopping just releases timers and the network address.
    await m?.stop().catch(() => undefined);
  };

  const leader = async (): Promise<Member> => {
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      for (const m of members.values()) {
        if (m.leaderId === m.id) return m;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('no leader within 5 s');
  };

  for (const n of names) await start(n);
  return {
    names,
    network,
    disks,
    members,
    logs,
    config,
    start,
    stop,
    crash,
    leader,
    stopAll: async () => {
      for (const n of [...members.keys()]) await stop(n);
    },
  };
}

export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await fn();
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  throw last;
}
