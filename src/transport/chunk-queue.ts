/**
 * The receiving side of a snapshot stream: chunks arrive from the network and the member pulls
 * them as an async iterable. Buffering is bounded: above `highWater` chunks the producer is told
 * to pause (stop reading the socket), and to resume once the consumer has caught up, so a slow
 * restore slows the sender down through TCP instead of growing memory.
 */
import { assert } from '../util/assert.js';
import { concatBytes } from '../util/bytes.js';
import { KvError } from '../util/errors.js';

export interface ChunkQueueOptions {
  readonly highWater: number;
  readonly pause: () => void;
  readonly resume: () => void;
}

export class ChunkQueue implements AsyncIterable<Uint8Array> {
  private readonly buffer: Uint8Array[] = [];
  private done = false;
  private error: Error | undefined;
  private waiter: (() => void) | undefined;
  private paused = false;
  private iterated = false;

  constructor(private readonly options: ChunkQueueOptions) {}

  get buffered(): number {
    return this.buffer.length;
  }

  push(chunk: Uint8Array): void {
    if (this.done) return;
    this.buffer.push(chunk);
    if (!this.paused && this.buffer.length >= this.options.highWater) {
      this.paused = true;
      this.options.pause();
    }
    this.wake();
  }

  end(): void {
    this.done = true;
    this.wake();
  }

  fail(error: Error): void {
    if (this.done) return;
    this.error = error;
    this.done = true;
    this.buffer.length = 0;
    this.wake();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    assert(!this.iterated, 'a snapshot data stream can be read only once');
    this.iterated = true;
    for (;;) {
      if (this.error) throw this.error;
      const chunk = this.buffer.shift();
      if (chunk !== undefined) {
        if (this.paused && this.buffer.length <= this.options.highWater / 2) {
          this.paused = false;
          this.options.resume();
        }
        yield chunk;
        continue;
      }
      if (this.done) return;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}

/** Re-cuts a data stream into chunks of at most `maxBytes` (never copies, only slices). */
export async function* boundedChunks(data: AsyncIterable<Uint8Array>, maxBytes: number): AsyncIterable<Uint8Array> {
  assert(maxBytes > 0, 'chunk size must be positive');
  for await (const chunk of data) {
    for (let at = 0; at < chunk.length; at += maxBytes) yield chunk.subarray(at, Math.min(chunk.length, at + maxBytes));
  }
}

export async function* bytesStream(...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  for (const p of parts) if (p.length > 0) yield p;
}

/**
 * Reads a whole snapshot into memory: `msg.snapshot.data` followed by the streamed chunks.
 * For members whose snapshots are small; refuses (KvError) to grow beyond `maxBytes`.
 */
export async function collectSnapshotData(inline: Uint8Array, data: AsyncIterable<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = inline.length > 0 ? [inline] : [];
  let size = inline.length;
  for await (const chunk of data) {
    size += chunk.length;
    if (size > maxBytes) throw new KvError('RequestTooLarge', `cairn: snapshot data exceeds ${maxBytes} bytes`);
    parts.push(chunk);
  }
  return concatBytes(...parts);
}
