/** A handler that records what the transport hands the member, and polling helpers. */
import type { Message } from '../../src/raft/messages.js';
import type { NodeId } from '../../src/raft/types.js';
import type { MsgSnap, TransportHandler } from '../../src/transport/transport.js';
import { concatBytes } from '../../src/util/bytes.js';

export interface ReceivedSnapshot {
  readonly msg: MsgSnap;
  readonly chunks: Uint8Array[];
}

export class RecordingHandler implements TransportHandler {
  readonly batches: Message[][] = [];
  readonly unreachable: NodeId[] = [];
  readonly snapshots: ReceivedSnapshot[] = [];
  readonly snapshotStatus: { to: NodeId; ok: boolean }[] = [];
  /** Replace to change how incoming snapshots are consumed or refused. */
  snapshotBehaviour: (msg: MsgSnap, data: AsyncIterable<Uint8Array>) => Promise<void> = async (msg, data) => {
    const chunks: Uint8Array[] = [];
    for await (const chunk of data) chunks.push(chunk);
    this.snapshots.push({ msg, chunks });
  };

  get messages(): Message[] {
    return this.batches.flat();
  }

  onMessages(batch: Message[]): void {
    this.batches.push(batch);
  }
  onUnreachable(id: NodeId): void {
    this.unreachable.push(id);
  }
  onSnapshot(msg: MsgSnap, data: AsyncIterable<Uint8Array>): Promise<void> {
    return this.snapshotBehaviour(msg, data);
  }
  onSnapshotStatus(to: NodeId, ok: boolean): void {
    this.snapshotStatus.push({ to, ok });
  }
}

/** Polls `condition` every few ms until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  return concatBytes(...chunks);
}

/** A deterministic pseudo-random buffer (cheap to build, easy to compare). */
export function patternBytes(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Yields `data` in irregular pieces, as a backend snapshot would. */
export async function* pieces(data: Uint8Array, sizes: readonly number[]): AsyncIterable<Uint8Array> {
  let at = 0;
  let i = 0;
  while (at < data.length) {
    const n = sizes[i++ % sizes.length] as number;
    yield data.subarray(at, Math.min(data.length, at + n));
    at += n;
  }
}

/** Byte equality without vitest's element-wise diffing (slow on megabytes). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Makes `handler` read incoming snapshots and remember the error their stream ends with. */
export function recordStreamFailure(handler: RecordingHandler): { readonly error: unknown } {
  const seen: { error: unknown } = { error: undefined };
  handler.snapshotBehaviour = async (_msg, data) => {
    try {
      for await (const chunk of data) void chunk;
    } catch (err) {
      seen.error = err;
      throw err;
    }
  };
  return seen;
}
