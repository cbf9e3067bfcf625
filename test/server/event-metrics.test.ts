/**
 * The metrics that move only when something goes wrong or happens rarely, each checked to move
 * when its event happens, where etcd moves its namesake: a slow apply, a late leader heartbeat,
 * a saved snapshot, a message the transport could not send, a compaction.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RawNode } from '../../src/raft/index.js';
import { Applier, type ApplyResult } from '../../src/server/apply.js';
import { recover } from '../../src/server/bootstrap.js';
import { defaultConfig } from '../../src/server/config.js';
import { HeartbeatWatch } from '../../src/server/heartbeat-watch.js';
import { slowApplyReport } from '../../src/server/member-reports.js';
import { MemberMetrics } from '../../src/server/metrics.js';
import { PeerMetrics } from '../../src/server/peers.js';
import { encodeRequest } from '../../src/server/requests.js';
import { WaitRegistry } from '../../src/server/wait.js';
import { MemoryDataDir } from '../../src/storage/data-dir.js';
import { MemoryKv } from '../../src/storage/memory-kv.js';
import { KvStore } from '../../src/store/kv-store.js';
import type { Message } from '../../src/raft/messages.js';
import type { PeerStats } from '../../src/transport/transport.js';
import { utf8 } from '../../src/util/bytes.js';
import type { Clock } from '../../src/util/clock.js';
import { eventually, startCluster, type TestCluster } from './cluster-harness.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stopAll();
  cluster = undefined;
});

/** A clock whose readings the test scripts. */
function scriptedClock(readings: number[]): Clock {
  return { now: () => readings.shift() ?? 0 } as unknown as Clock;
}

const value = async (metrics: MemberMetrics, name: string): Promise<string | undefined> =>
  new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(await metrics.render())?.[1];

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe('etcd_server_slow_apply_total', () => {
  it('counts an apply slower than 100 ms, not a fast one', async () => {
    const config = { ...defaultConfig('a'), dataDir: 'slow-apply' };
    const dd = await MemoryDataDir.open(new MemoryKv(config.dataDir));
    const rec = await recover(config, dd.wal, dd.backend);
    const metrics = new MemberMetrics();
    // Two requests: the first takes 99 ms, the second 101 ms by the scripted clock.
    const clock = scriptedClock([1000, 1099, 2000, 2101]);
    const applier = new Applier(
      { node: {} as RawNode, store: await KvStore.open(dd.backend), backend: dd.backend, cluster: rec.cluster, waits: new WaitRegistry<ApplyResult>(10), onMembership: () => {}, onRemoved: () => {}, selfId: rec.selfId, slowApply: slowApplyReport(metrics, silent, clock) },
      rec.snapshot.index, rec.backendApplied.index, rec.snapshot.confState, rec.snapshot.term,
    );
    const put = (i: number) => encodeRequest({ id: `r.${i}`, request: { op: 'put', request: { key: utf8('k'), value: utf8(`${i}`) } } });
    const first = rec.snapshot.index + 1;
    await applier.applyAll([{ index: first, term: 1, type: 'normal', data: put(1) }]);
    expect(await value(metrics, 'etcd_server_slow_apply_total')).toBe('0');
    await applier.applyAll([{ index: first + 1, term: 1, type: 'normal', data: put(2) }]);
    expect(await value(metrics, 'etcd_server_slow_apply_total')).toBe('1');
    await dd.close();
  });
});

describe('etcd_server_heartbeat_send_failures_total', () => {
  it('a heartbeat to a peer more than two intervals after the last one is late; a new term starts afresh', () => {
    const late: Array<[number, number]> = [];
    const times = [0, 100, 200, 450, 451, 5000];
    const watch = new HeartbeatWatch(scriptedClock(times), 100, (to, gap) => late.push([to, gap]));
    const hb = (to: number) => [{ type: 'MsgHeartbeat', to } as unknown as Message];
    watch.observe(hb(2)); // 0: first one only starts the clock
    watch.observe(hb(2)); // 100
    watch.observe(hb(2)); // 200: exactly on time
    watch.observe([{ type: 'MsgApp', to: 2 } as unknown as Message]); // not a heartbeat: no reading
    watch.observe(hb(2)); // 450: 250 ms gap > 200
    watch.observe(hb(3)); // 451: peer 3's first
    expect(late).toEqual([[2, 250]]);
    watch.reset();
    watch.observe(hb(2)); // 5000: after a reset, a first heartbeat again
    expect(late).toHaveLength(1);
  });

  it('a leader whose loop stalls counts its late heartbeats', async () => {
    cluster = await startCluster(3);
    const leader = await cluster.leader();
    // The first heartbeat to a peer only starts the detector's clock: let a few go out first.
    await new Promise((r) => setTimeout(r, 50));
    // Block the event loop (the member's loop with it) for 15 heartbeat intervals.
    const until = performance.now() + 150;
    while (performance.now() < until) { /* stall */ }
    await eventually(async () => expect(Number(await value(leader.metrics, 'etcd_server_heartbeat_send_failures_total'))).toBeGreaterThan(0), 3000);
  });
});

describe('etcd_debugging_snap_save_total_duration_seconds', () => {
  it('observes each snapshot the member saves', async () => {
    cluster = await startCluster(1, { snapshotCount: 5, snapshotCatchUpEntries: 2 });
    const m = await cluster.leader();
    expect(await value(m.metrics, 'etcd_debugging_snap_save_total_duration_seconds_count')).toBe('0');
    for (let i = 0; i < 12; i++) await m.put({ key: utf8(`s${i}`), value: utf8('x') });
    await eventually(async () => expect(Number(await value(m.metrics, 'etcd_debugging_snap_save_total_duration_seconds_count'))).toBeGreaterThanOrEqual(2), 3000);
  });
});

describe('etcd_network_peer_sent_failures_total', () => {
  it("counts the transport's dropped messages per peer, as they grow", async () => {
    const metrics = new MemberMetrics();
    const peers = new PeerMetrics(metrics);
    const stats = (dropped: number): PeerStats => ({ id: 0xabc, urls: [], active: true, sentBytes: 10, receivedBytes: 10, sentMessages: 1, receivedMessages: 1, droppedMessages: dropped, queuedMessages: 0, queuedBytes: 0, rttMs: undefined, lastError: undefined, connects: 1 });
    peers.update({ peers: [stats(0)], malformedFrames: 0, refusedConnections: 0 } as never);
    expect(await metrics.render()).not.toMatch(/etcd_network_peer_sent_failures_total\{To="abc"\} [1-9]/);
    peers.update({ peers: [stats(3)], malformedFrames: 0, refusedConnections: 0 } as never);
    peers.update({ peers: [stats(5)], malformedFrames: 0, refusedConnections: 0 } as never);
    expect(await metrics.render()).toMatch(/^etcd_network_peer_sent_failures_total\{To="abc"\} 5$/m);
  });
});

describe('etcd_debugging_mvcc_compact_revision', () => {
  it('is the revision of the last compaction', async () => {
    cluster = await startCluster(1);
    const m = await cluster.leader();
    for (let i = 0; i < 4; i++) await m.put({ key: utf8('c'), value: utf8(`${i}`) });
    await m.compact(3);
    await eventually(async () => expect(await value(m.metrics, 'etcd_debugging_mvcc_compact_revision')).toBe('3'), 3000);
  });
});
