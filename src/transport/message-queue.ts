/**
 * A per-peer FIFO of outgoing raft messages, bounded by count and by (estimated) bytes. A full
 * queue refuses the message: the caller drops it and reports the peer unreachable, as etcd's
 * rafthttp does when a peer's stream buffer is full.
 */
import type { Message } from '../raft/messages.js';

/** Wire size estimate (payload bytes dominate; the constant covers the envelope fields). */
export function estimateBytes(msg: Message): number {
  let size = 48;
  switch (msg.type) {
    case 'MsgApp':
    case 'MsgProp':
      for (const e of msg.entries) size += e.data.length + 24;
      break;
    case 'MsgSnap':
      size += msg.snapshot.data.length + 64;
      break;
    case 'MsgHeartbeat':
    case 'MsgHeartbeatResp':
    case 'MsgReadIndex':
    case 'MsgReadIndexResp':
      size += msg.context.length;
      break;
    default:
      break;
  }
  return size;
}

export class MessageQueue {
  private items: Message[] = [];
  private sizes: number[] = [];
  private head = 0;
  private bytesQueued = 0;

  constructor(
    private readonly maxMessages: number,
    private readonly maxBytes: number,
  ) {}

  get length(): number {
    return this.items.length - this.head;
  }

  get bytes(): number {
    return this.bytesQueued;
  }

  /** Appends unless that would pass either bound; a lone message larger than maxBytes is refused. */
  push(msg: Message): boolean {
    const size = estimateBytes(msg);
    if (this.length >= this.maxMessages || this.bytesQueued + size > this.maxBytes) return false;
    this.items.push(msg);
    this.sizes.push(size);
    this.bytesQueued += size;
    return true;
  }

  /** Removes messages from the front up to about `maxBytes` (always at least one if any). */
  takeBatch(maxBytes: number): Message[] {
    const out: Message[] = [];
    let size = 0;
    while (this.head < this.items.length) {
      const next = this.sizes[this.head] as number;
      if (out.length > 0 && size + next > maxBytes) break;
      out.push(this.items[this.head] as Message);
      size += next;
      this.head++;
    }
    this.bytesQueued -= size;
    this.compact();
    return out;
  }

  /** Empties the queue and returns how many messages were dropped. */
  clear(): number {
    const n = this.length;
    this.items = [];
    this.sizes = [];
    this.head = 0;
    this.bytesQueued = 0;
    return n;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.sizes = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
  }
}
