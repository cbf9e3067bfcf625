/**
 * The member's side of the peer transport: what arrives from peers goes to raft through the
 * loop (dropped under overload, as a lossy network would), snapshots are staged before raft
 * sees them, and the transport's peer list follows the member table.
 */
import type { Message } from '../raft/messages.js';
import type { Transport, TransportHandler, TransportStats } from '../transport/transport.js';
import type { MemberMetrics } from './metrics.js';
import type { Logger } from './logger.js';
import type { Cluster } from './membership.js';
import type { RaftLoop } from './raft-loop.js';
import type { SnapshotStage } from './snapshots.js';

export function peerHandler(loop: () => RaftLoop, stage: SnapshotStage, log: Logger): TransportHandler {
  return {
    onMessages: (batch: Message[]) =>
      loop().submitQuietly((n) => {
        for (const m of batch) {
          try {
            n.step(m);
          } catch (err) {
            log.debug({ from: m.from.toString(16), type: m.type, err: String(err) }, 'dropped peer message');
          }
        }
      }),
    onUnreachable: (peer) => loop().submitQuietly((n) => n.reportUnreachable(peer)),
    onSnapshotStatus: (to, ok) => loop().submitQuietly((n) => n.reportSnapshot(to, ok ? 'finish' : 'failure')),
    onSnapshot: async (msg, data) => {
      await stage.stage(msg, data);
      loop().submit((n) => n.step(msg));
    },
  };
}

/** Keeps the transport's peers equal to the member table: new ones dialed, moved ones re-dialed, removed ones refused. */
export class PeerSet {
  private readonly urls = new Map<number, string[]>();

  constructor(
    private readonly selfId: number,
    private readonly transport: Transport,
  ) {}

  sync(cluster: Cluster): void {
    const current = new Set<number>();
    for (const m of cluster.list()) {
      if (m.id === this.selfId) continue;
      current.add(m.id);
      const known = this.urls.get(m.id);
      if (known === undefined) this.transport.addPeer(m.id, m.peerUrls);
      else if (known.join(',') !== m.peerUrls.join(',')) this.transport.updatePeer(m.id, m.peerUrls);
      this.urls.set(m.id, [...m.peerUrls]);
    }
    for (const id of [...this.urls.keys()]) {
      if (!current.has(id)) {
        this.transport.removePeer(id);
        this.urls.delete(id);
      }
    }
  }
}

/** Turns the transport's running totals into etcd's peer counters (labelled by hex member ID). */
export class PeerMetrics {
  private readonly last = new Map<number, { sent: number; received: number; dropped: number }>();
  private refused = 0;
  private malformed = 0;

  constructor(private readonly metrics: MemberMetrics) {}

  update(stats: TransportStats): void {
    for (const p of stats.peers) {
      const label = p.id.toString(16);
      const prev = this.last.get(p.id) ?? { sent: 0, received: 0, dropped: 0 };
      // Counters only go up; a peer re-added starts from zero again.
      if (p.sentBytes >= prev.sent) this.metrics.peerSentBytes.inc({ To: label }, p.sentBytes - prev.sent);
      if (p.receivedBytes >= prev.received) this.metrics.peerReceivedBytes.inc({ From: label }, p.receivedBytes - prev.received);
      // etcd counts each message rafthttp could not send (queue full, connection down or lost).
      if (p.droppedMessages >= prev.dropped) this.metrics.peerSentFailures.inc({ To: label }, p.droppedMessages - prev.dropped);
      if (p.rttMs !== undefined) this.metrics.peerRoundTripSeconds.observe({ To: label }, p.rttMs / 1000);
      this.last.set(p.id, { sent: p.sentBytes, received: p.receivedBytes, dropped: p.droppedMessages });
    }
    this.metrics.peerRejected.inc({ reason: 'handshake' }, Math.max(0, stats.refusedConnections - this.refused));
    this.metrics.peerRejected.inc({ reason: 'protocol' }, Math.max(0, stats.malformedFrames - this.malformed));
    this.refused = stats.refusedConnections;
    this.malformed = stats.malformedFrames;
  }
}
