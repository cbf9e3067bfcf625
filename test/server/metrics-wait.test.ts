import { describe, expect, it } from 'vitest';
import { MemberMetrics } from '../../src/server/metrics.js';
import { WaitRegistry } from '../../src/server/wait.js';
import { isKvError } from '../../src/util/errors.js';

describe('MemberMetrics', () => {
  it("exposes etcd's metric names so etcd dashboards work", async () => {
    const m = new MemberMetrics();
    m.hasLeader.set(1);
    m.walFsyncSeconds.observe(0.003);
    m.peerSentBytes.inc({ To: 'abc' }, 100);
    m.peerRoundTripSeconds.observe({ To: 'abc' }, 0.0004);
    const text = await m.render();
    for (const name of [
      'etcd_server_has_leader 1',
      'etcd_server_leader_changes_seen_total',
      'etcd_server_proposals_committed_total',
      'etcd_server_proposals_applied_total',
      'etcd_server_proposals_pending',
      'etcd_server_proposals_failed_total',
      'etcd_disk_wal_fsync_duration_seconds_bucket{le="0.004"} 1',
      'etcd_disk_backend_commit_duration_seconds_bucket',
      'etcd_mvcc_db_total_size_in_bytes',
      'etcd_debugging_mvcc_watcher_total',
      'etcd_network_peer_sent_bytes_total{To="abc"} 100',
      'etcd_network_peer_round_trip_time_seconds_bucket{le="0.0004",To="abc"} 1',
    ]) {
      expect(text).toContain(name);
    }
  });

  it('keeps separate members apart', async () => {
    const a = new MemberMetrics();
    const b = new MemberMetrics();
    a.hasLeader.set(1);
    b.hasLeader.set(0);
    expect(await a.render()).toContain('etcd_server_has_leader 1');
    expect(await b.render()).toContain('etcd_server_has_leader 0');
  });
});

describe('WaitRegistry', () => {
  it('resolves only the registered id, once', async () => {
    const w = new WaitRegistry<number>(10);
    const p = w.register('a');
    expect(w.trigger('b', 2)).toBe(false);
    expect(w.trigger('a', 1)).toBe(true);
    expect(w.trigger('a', 3)).toBe(false);
    await expect(p).resolves.toBe(1);
    expect(w.size).toBe(0);
  });

  it('refuses past its limit with etcd too-many-requests and fails everyone on stop', async () => {
    const w = new WaitRegistry<number>(2);
    const p1 = w.register('1');
    const p2 = w.register('2');
    let err: unknown;
    try {
      void w.register('3');
    } catch (e) {
      err = e;
    }
    expect(isKvError(err, 'TooManyRequests')).toBe(true);
    w.failAll(new Error('stopped'));
    await expect(p1).rejects.toThrow('stopped');
    await expect(p2).rejects.toThrow('stopped');
    expect(w.size).toBe(0);
  });
});
