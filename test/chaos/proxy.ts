/**
 * A fault-injecting TCP proxy in front of one member's peer listener. Every member advertises
 * its proxy's URL (`--initial-advertise-peer-urls`, `--initial-cluster`) and listens on the real
 * port (`--listen-peer-urls`), so every byte between members passes through a proxy.
 *
 * cairn's transport sends A's raft messages to B over a connection A dialed to B (peer-stream.ts),
 * opened with a `hello` frame naming A. The proxy reads that first frame to learn which peer is
 * dialing, so each direction A→B is a separate link with its own mode:
 *  - pass: bytes flow both ways;
 *  - blackhole: connections stay open but every byte is silently dropped (etcd robustness's
 *    BlackholePeerNetwork: the sender sees no error, only silence);
 *  - refuse: open connections are reset and new ones closed at once;
 *  - delay: every chunk is held for a fixed time before it is forwarded, in order (what a slow
 *    or lossy link looks like to TCP: retransmissions arrive late, never out of order).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { decodePayload, FRAME_HEADER_BYTES } from '../../src/transport/codec.js';

export type LinkMode = 'pass' | 'blackhole' | 'refuse' | { readonly delayMs: number };

/** Bytes held by one delayed direction before its source is paused (bounds the proxy's memory). */
const MAX_DELAYED_BYTES = 8 << 20;

/** The hello frame's `from`, or undefined until a whole first frame has arrived. */
function helloFrom(buf: Buffer): { from: string } | 'incomplete' | 'unknown' {
  if (buf.length < FRAME_HEADER_BYTES) return 'incomplete';
  const len = buf.readUInt32BE(0);
  if (len > 64 * 1024) return 'unknown';
  if (buf.length < FRAME_HEADER_BYTES + len) return 'incomplete';
  try {
    const frame = decodePayload(buf.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + len)) as { k?: unknown; from?: unknown };
    if (frame.k === 'hello' && (typeof frame.from === 'number' || typeof frame.from === 'bigint')) return { from: frame.from.toString(16) };
  } catch {
    // not a frame we understand: pass it through unlabelled
  }
  return 'unknown';
}

interface Conn {
  readonly from: string;
  readonly client: Socket;
  readonly upstream: Socket;
  /** Bytes were dropped: the byte stream is broken, so the connection must not resume. */
  tainted: boolean;
}

export class PeerProxy {
  private server: Server | undefined;
  private readonly conns = new Set<Conn>();
  /** Mode per dialing member id (hex); absent = pass. */
  private readonly modes = new Map<string, LinkMode>();
  bytesForwarded = 0;
  bytesDropped = 0;

  constructor(
    readonly port: number,
    readonly targetPort: number,
  ) {}

  async start(): Promise<void> {
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(this.port, '127.0.0.1', () => ok());
    });
    this.server = server;
  }

  /** Sets the mode of the link from member `from` (hex id, or '*' for every peer) to this member. */
  setMode(from: string, mode: LinkMode): void {
    if (from === '*') {
      this.modes.clear();
      this.modes.set('*', mode);
    } else this.modes.set(from, mode);
    if (mode === 'refuse') {
      for (const c of this.conns) if (from === '*' || c.from === from) this.drop(c);
    }
  }

  heal(): void {
    this.modes.clear();
  }

  modeOf(from: string): LinkMode {
    return this.modes.get(from) ?? this.modes.get('*') ?? 'pass';
  }

  /** Forwards chunks from `src` to `dst` in order, each no earlier than its arrival + the link's delay. */
  private delayedWriter(src: Socket, dst: Socket, from: string): (d: Buffer) => void {
    const queue: Array<{ at: number; data: Buffer }> = [];
    let queued = 0;
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      timer = undefined;
      const now = Date.now();
      while (queue.length > 0 && (queue[0] as { at: number }).at <= now) {
        const { data } = queue.shift() as { data: Buffer };
        queued -= data.length;
        this.bytesForwarded += data.length;
        dst.write(data);
      }
      if (queued < MAX_DELAYED_BYTES && src.isPaused()) src.resume();
      if (queue.length > 0) timer = setTimeout(flush, (queue[0] as { at: number }).at - now);
    };
    src.once('close', () => clearTimeout(timer));
    return (d) => {
      const mode = this.modeOf(from);
      const delay = typeof mode === 'object' ? mode.delayMs : 0;
      if (delay === 0 && queue.length === 0) {
        this.bytesForwarded += d.length;
        dst.write(d);
        return;
      }
      queue.push({ at: Date.now() + delay, data: d });
      queued += d.length;
      if (queued >= MAX_DELAYED_BYTES) src.pause();
      if (timer === undefined) timer = setTimeout(flush, Math.max(0, (queue[0] as { at: number }).at - Date.now()));
    };
  }

  private drop(c: Conn): void {
    c.client.destroy();
    c.upstream.destroy();
    this.conns.delete(c);
  }

  private accept(client: Socket): void {
    client.on('error', () => undefined);
    let head = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      head = Buffer.concat([head, d]);
      const hello = helloFrom(head);
      if (hello === 'incomplete') return;
      client.off('data', onData);
      client.pause();
      this.link(client, hello === 'unknown' ? '?' : hello.from, head);
    };
    client.on('data', onData);
  }

  private link(client: Socket, from: string, first: Buffer): void {
    if (this.modeOf(from) === 'refuse') {
      client.destroy();
      return;
    }
    const upstream = connect(this.targetPort, '127.0.0.1');
    const c: Conn = { from, client, upstream, tainted: false };
    this.conns.add(c);
    upstream.on('error', () => this.drop(c));
    client.on('error', () => this.drop(c));
    client.on('close', () => this.drop(c));
    upstream.on('close', () => this.drop(c));
    const pipe = (src: Socket, dst: Socket) => {
      const forward = this.delayedWriter(src, dst, from);
      src.on('data', (d: Buffer) => {
        const mode = this.modeOf(from);
        if (mode === 'blackhole' || mode === 'refuse') {
          this.bytesDropped += d.length;
          c.tainted = true;
        } else if (c.tainted) {
          // After a blackhole the peer sees a reset (TCP never resumes mid-frame).
          this.drop(c);
        } else forward(d);
      });
    };
    upstream.once('connect', () => {
      const mode = this.modeOf(from);
      if (mode !== 'blackhole' && mode !== 'refuse') upstream.write(first);
      else {
        this.bytesDropped += first.length;
        c.tainted = true;
      }
      pipe(client, upstream);
      pipe(upstream, client);
      client.resume();
    });
  }

  async stop(): Promise<void> {
    for (const c of [...this.conns]) this.drop(c);
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
