/**
 * Per-peer numbers behind `Transport.stats()`, kept the same way by both implementations. An
 * error is logged only when it differs from the last one (log-once: a peer refusing us every
 * backoff period is one line, not thousands), and cleared by the next good handshake.
 */
import type { NodeId } from '../raft/types.js';
import type { KvError } from '../util/errors.js';
import type { PeerStats, TransportLog } from './transport.js';

export class PeerCounters {
  sentBytes = 0;
  receivedBytes = 0;
  sentMessages = 0;
  receivedMessages = 0;
  droppedMessages = 0;
  rttMs: number | undefined;
  lastError: KvError | undefined;
  connects = 0;

  constructor(
    readonly id: NodeId,
    private readonly log: TransportLog,
  ) {}

  /** Records an error; logs it when it is new (different code or text from the last one). */
  noteError(error: KvError): void {
    const last = this.lastError;
    this.lastError = error;
    if (last === undefined || last.code !== error.code || last.message !== error.message) {
      this.log({ level: 'warn', msg: error.message, peer: this.id, error });
    }
  }

  noteConnected(): void {
    if (this.lastError !== undefined) this.log({ level: 'info', msg: `peer ${this.id.toString(16)} is reachable again`, peer: this.id });
    this.lastError = undefined;
    this.connects++;
  }

  snapshot(urls: readonly string[], active: boolean, queuedMessages: number, queuedBytes: number): PeerStats {
    return {
      id: this.id,
      urls: [...urls],
      active,
      sentBytes: this.sentBytes,
      receivedBytes: this.receivedBytes,
      sentMessages: this.sentMessages,
      receivedMessages: this.receivedMessages,
      droppedMessages: this.droppedMessages,
      queuedMessages,
      queuedBytes,
      rttMs: this.rttMs,
      lastError: this.lastError,
      connects: this.connects,
    };
  }
}
