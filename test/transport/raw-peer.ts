/** A hand-driven peer over a raw socket, for feeding a TcpTransport bytes a real peer never sends. */
import * as net from 'node:net';
import { FrameDecoder, decodePayload, encodeFrame } from '../../src/transport/codec.js';
import { PROTOCOL_VERSION } from '../../src/transport/frames.js';

export class RawPeer {
  readonly frames: unknown[] = [];
  readonly closed: Promise<void>;
  private readonly decoder = new FrameDecoder(1 << 24);

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      for (const p of this.decoder.push(chunk)) this.frames.push(decodePayload(p));
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
  }

  static async connect(url: string): Promise<RawPeer> {
    const { hostname, port } = new URL(url);
    const socket = net.connect({ host: hostname, port: Number(port) });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawPeer(socket);
  }

  frame(value: unknown): void {
    this.socket.write(encodeFrame(value, 1 << 24));
  }

  raw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  hello(from: number, to: number, stream: 'raft' | 'snapshot' = 'raft', clusterId = 'cluster-a'): void {
    this.frame({ k: 'hello', version: PROTOCOL_VERSION, clusterId, from, to, stream });
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A listener that completes the handshake and then never reads again (a stuck peer). */
export async function stuckPeer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('data', () => {
      socket.write(encodeFrame({ k: 'welcome' }, 1024));
      socket.pause();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
