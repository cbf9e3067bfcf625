/**
 * The leader's window of MsgApp messages in flight to one follower (etcd-io/raft
 * `tracker/inflights.go`), bounded by count and by bytes. Each slot remembers the last index
 * of one message; a MsgAppResp for index i frees every slot ≤ i.
 */
export class Inflights {
  private readonly indexes: number[] = [];
  private readonly sizes: number[] = [];
  private bytes = 0;

  constructor(
    readonly maxCount: number,
    /** 0 means no byte limit. */
    readonly maxBytes: number,
  ) {}

  clone(): Inflights {
    const c = new Inflights(this.maxCount, this.maxBytes);
    c.indexes.push(...this.indexes);
    c.sizes.push(...this.sizes);
    c.bytes = this.bytes;
    return c;
  }

  add(index: number, bytes: number): void {
    if (this.full()) throw new Error('cannot add into a full inflights');
    this.indexes.push(index);
    this.sizes.push(bytes);
    this.bytes += bytes;
  }

  /** Frees every message whose last index is ≤ to. */
  freeLE(to: number): void {
    let n = 0;
    while (n < this.indexes.length && (this.indexes[n] as number) <= to) {
      this.bytes -= this.sizes[n] as number;
      n++;
    }
    if (n > 0) {
      this.indexes.splice(0, n);
      this.sizes.splice(0, n);
    }
  }

  full(): boolean {
    return this.indexes.length >= this.maxCount || (this.maxBytes > 0 && this.bytes >= this.maxBytes);
  }

  count(): number {
    return this.indexes.length;
  }

  totalBytes(): number {
    return this.bytes;
  }

  reset(): void {
    this.indexes.length = 0;
    this.sizes.length = 0;
    this.bytes = 0;
  }
}
