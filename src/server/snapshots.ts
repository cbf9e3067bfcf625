/**
 * Raft snapshots for a member whose state lives in the backend (etcd `createMergedSnapshotMessage`
 * and `applySnapshot`). The raft snapshot itself carries no data: the leader streams a
 * point-in-time copy of its backend and stamps the message with the applied index that copy
 * holds. The receiver stages the stream, steps the message, and restores the backend when raft
 * hands the snapshot back in a Ready.
 */
import type { MessageOf } from '../raft/messages.js';
import type { ConfState, Snapshot } from '../raft/types.js';
import type { Backend } from '../storage/backend.js';
import type { KvStore } from '../store/kv-store.js';
import { KvError } from '../util/errors.js';
import type { Transport } from '../transport/transport.js';

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
 * Follower side: staged snapshot data by index, until raft asks for it to be installed. Bounded
 * by bytes (the backend quota): a larger snapshot is refused rather than buffered.
 */
export class SnapshotStage {
  private staged: { index: number; chunks: Uint8Array[] } | undefined;

  constructor(private readonly maxBytes: number) {}

  async stage(msg: MsgSnap, data: AsyncIterable<Uint8Array>): Promise<void> {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of data) {
      size += chunk.length;
      if (size > this.maxBytes) throw new KvError('NoSpace', `cairn: incoming snapshot exceeds ${this.maxBytes} bytes`);
      chunks.push(chunk);
    }
    this.staged = { index: msg.snapshot.metadata.index, chunks };
  }

  /** Restores the store from the staged data for `snapshot`; throws if it never arrived. */
  async install(snapshot: Snapshot, store: KvStore, afterRestore: () => Promise<void>): Promise<void> {
    const staged = this.staged;
    if (staged === undefined || staged.index !== snapshot.metadata.index) {
      throw new KvError('StorageCorrupt', `cairn: raft asked to install snapshot ${snapshot.metadata.index}, but no data for it was received`);
    }
    this.staged = undefined;
    async function* replay(): AsyncIterable<Uint8Array> {
      yield* staged!.chunks;
    }
    await store.restore(replay(), afterRestore);
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
