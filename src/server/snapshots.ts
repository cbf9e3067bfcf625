/**
 * Raft snapshots for a member whose state lives in the backend (etcd `createMergedSnapshotMessage`
 * and `applySnapshot`). The raft snapshot itself carries no data: the leader streams a
 * point-in-time copy of its backend and stamps the message with the applied index that copy
 * holds. The receiver streams it into a staged store, steps the message, and switches to the
 * staged store when raft hands the snapshot back in a Ready.
 */
import type { MessageOf } from '../raft/messages.js';
import type { ConfState, Snapshot } from '../raft/types.js';
import type { Backend, BackendOp } from '../storage/backend.js';
import type { DataDir, InstallStep } from '../storage/data-dir.js';
import type { StagedStore } from '../storage/staged-store.js';
import { IndexBuilder, type RebuiltIndex } from '../store/index-rebuild.js';
import type { KvStore } from '../store/kv-store.js';
import { KvError } from '../util/errors.js';
import type { Transport } from '../transport/transport.js';
import type { Logger } from './logger.js';
import type { MemberMetrics } from './metrics.js';

type MsgSnap = MessageOf<'MsgSnap'>;

export interface AppliedPoint {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
}

/** Leader side: sends the backend as it is now, labelled with the applied point it holds. */
export async function sendMergedSnapshot(
  msg: MsgSnap,
  backend: Backend,
  applied: AppliedPoint,
  transport: Transport,
): Promise<boolean> {
  const copy = await backend.snapshot();
  try {
    const merged: MsgSnap = {
      ...msg,
      snapshot: { metadata: { index: applied.index, term: applied.term, confState: applied.confState }, data: new Uint8Array(0) },
    };
    return await transport.sendSnapshot(merged, copy.chunks());
  } finally {
    await copy.release();
  }
}

/**
 * Sends a snapshot a raft leader asked for, as of the applied point now, in the background;
 * a failure is logged and reported back (`onFailed`) so raft probes the follower again.
 */
export function sendSnapshotTo(
  msg: MsgSnap,
  applier: { readonly appliedIndex: number; readonly appliedTermValue: number; readonly currentConfState: ConfState },
  d: { readonly backend: Backend; readonly transport: Transport; readonly log: Logger; readonly metrics: MemberMetrics },
  onFailed: (to: number) => void,
): void {
  const applied = { index: applier.appliedIndex, term: applier.appliedTermValue, confState: applier.currentConfState };
  const to = msg.to.toString(16);
  d.log.info({ to, index: applied.index }, 'sending snapshot');
  void sendMergedSnapshot(msg, d.backend, applied, d.transport)
    .then(() => d.metrics.snapshotsSent.inc({ To: to }))
    .catch((err: unknown) => {
      d.log.warn({ to, err: String(err) }, 'snapshot send failed');
      onFailed(msg.to);
    });
}

/** What a stage needs of the data dir. */
export type StagingDir = Pick<DataDir, 'stage' | 'installStaged'>;

/** Completed stagings kept for raft to ask for (a newer one may finish before an older one installs). */
const MAX_READY = 2;

/**
 * Follower side: received snapshots, streamed into staged stores beside the active one
 * (src/storage/staged-store.ts) until raft asks for one to be installed. One snapshot is
 * received at a time (another is refused and the leader retries); each is bounded by bytes
 * (the backend quota). A staging that raft will never ask for — older than what is applied,
 * or superseded by the one installed — is removed with a log line, never fatal.
 */
export class SnapshotStage {
  private receiving = false;
  private readonly ready = new Map<number, { staged: StagedStore; index: RebuiltIndex }>();

  constructor(
    private readonly dir: StagingDir,
    private readonly maxBytes: number,
    private readonly appliedIndex: () => number,
    private readonly log: Logger,
  ) {}

  /** Streams `data` to disk; resolves once it is whole (the caller then steps `msg`). */
  async stage(msg: MsgSnap, data: AsyncIterable<Uint8Array>): Promise<void> {
    const index = msg.snapshot.metadata.index;
    // Stagings raft never asked for (it caught up from its log instead) are stale by now.
    for (const old of [...this.ready.keys()]) if (old <= this.appliedIndex()) await this.drop(old, 'stale');
    if (index <= this.appliedIndex() || this.ready.has(index)) {
      // Raft answers a stale snapshot from its own log; its data is never needed.
      this.log.info({ index, applied: this.appliedIndex() }, 'ignored the data of a stale snapshot');
      return;
    }
    if (this.receiving) throw new KvError('TooManyRequests', 'cairn: already receiving a snapshot');
    this.receiving = true;
    try {
      const staged = await this.dir.stage();
      this.log.info({ index }, 'receiving snapshot');
      let keyIndex: RebuiltIndex;
      try {
        // The key index is built now, from the records as they stream in (not read back from
        // disk), while raft runs on: the install then only switches (the Ready loop waits for it).
        const builder = new IndexBuilder();
        await staged.fill(data, this.maxBytes, (bucket, key, value) => {
          if (bucket === 'key') builder.add(key, value);
        });
        keyIndex = builder.result();
      } catch (err) {
        await staged.discard();
        throw err;
      }
      // etcd logs the same ("saved database snapshot to disk"); the bench splits the catch-up by it.
      this.log.info({ index, bytes: staged.bytes, keys: keyIndex.index.size }, 'staged snapshot');
      if (index <= this.appliedIndex()) {
        this.log.info({ index, applied: this.appliedIndex() }, 'discarded a snapshot that went stale while it was received');
        await staged.discard();
        return;
      }
      this.ready.set(index, { staged, index: keyIndex });
      for (const old of [...this.ready.keys()].sort((a, b) => a - b).slice(0, -MAX_READY)) await this.drop(old, 'superseded');
    } finally {
      this.receiving = false;
    }
  }

  /**
   * Installs the staged data for `snapshot` (data-dir.ts installStaged); `afterSwitch` reloads
   * what is held in memory. Stagings at or below its index are removed.
   */
  async install(snapshot: Snapshot, localOps: readonly BackendOp[], store: KvStore, afterSwitch: () => Promise<void>, onStep?: (step: InstallStep) => Promise<void>): Promise<void> {
    const index = snapshot.metadata.index;
    const ready = this.ready.get(index);
    if (ready === undefined) {
      throw new KvError('StorageCorrupt', `cairn: raft asked to install snapshot ${index}, but no data for it was received`);
    }
    this.ready.delete(index);
    await store.replaceBackend(() => this.dir.installStaged(ready.staged, snapshot.metadata, localOps, onStep), afterSwitch, ready.index);
    for (const old of [...this.ready.keys()]) if (old <= index) await this.drop(old, 'stale');
  }

  /** True while a snapshot is being received (its key index grows on the heap meanwhile). */
  get isReceiving(): boolean {
    return this.receiving;
  }

  /** Snapshot indexes staged and waiting (tests). */
  stagedIndexes(): number[] {
    return [...this.ready.keys()];
  }

  private async drop(index: number, why: string): Promise<void> {
    const ready = this.ready.get(index);
    this.ready.delete(index);
    this.log.info({ index, why }, 'discarded a staged snapshot');
    await ready?.staged.discard();
  }
}

/** A consistent copy of the whole backend as bounded chunks (`snapshot save`), released when read. */
export async function backendCopy(backend: Backend, chunkBytes: number): Promise<{ totalBytes: number; chunks: AsyncIterable<Uint8Array> }> {
  const copy = await backend.snapshot();
  const totalBytes = await backend.sizeBytes();
  async function* chunks(): AsyncIterable<Uint8Array> {
    try {
      yield* copy.chunks(chunkBytes);
    } finally {
      await copy.release();
    }
  }
  return { totalBytes, chunks: chunks() };
}
