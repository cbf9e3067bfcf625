/**
 * The chaos proxy forwards a peer's byte stream unchanged (any chunking), labels it by the
 * dialer's hello, and per direction blackholes (silence, then a reset once healed: TCP never
 * resumes mid-stream) or refuses.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder, decodePayload } from '../../src/transport/codec.js';
import { PROTOCOL_VERSION } from '../../src/transport/frames.js';
import { SeededRng } from '../../src/util/rng.js';
import { freePort } from '../e2e/processes.js';
import { PeerProxy } from './proxy.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function sink(): Promise<{ port: number; frames: unknown[]; sockets: Socket[] }> {
  const frames: unknown[] = [];
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => {
    sockets.push(s);
    const dec = new FrameDecoder(1 << 20);
    s.on('data', (d: Buffer) => {
      for (const p of dec.push(d)) frames.push(decodePayload(p));
    });
    s.on('error', () => undefined);
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  cleanup.push(() => new Promise<void>((r) => {
    for (const s of sockets) s.destroy();
    server.close(() => r());
  }));
  return { port, frames, sockets };
}

async function dial(port: number): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  s.on('error', () => undefined);
  await new Promise((r) => s.once('connect', r));
  cleanup.push(() => void s.destroy());
  return s;
}

const hello = (from: number) => encodeFrame({ k: 'hello', version: PROTOCOL_VERSION, clusterId: 'c', from, to: 2, stream: 'raft' }, 1 << 20);
const until = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return cond();
};

describe('PeerProxy', () => {
  it('forwards every frame unchanged whatever the chunking', async () => {
    const target = await sink();
    const proxy = new PeerProxy(await freePort(), target.port);
    await proxy.start();
    cleanup.push(() => proxy.stop());
    const s = await dial(proxy.port);
    const rng = new SeededRng(3);
    const sent: unknown[] = [{ k: 'hello', version: PROTOCOL_VERSION, clusterId: 'c', from: 0xabc, to: 2, stream: 'raft' }];
    const bytes: Buffer[] = [Buffer.from(hello(0xabc))];
    for (let i = 0; i < 500; i++) {
      const f = { k: 'ping', t: i, pad: 'x'.repeat(rng.int(3000)) };
      sent.push(f);
      bytes.push(Buffer.from(encodeFrame(f, 1 << 20)));
    }
    const all = Buffer.concat(bytes);
    for (let at = 0; at < all.length; ) {
      const n = 1 + rng.int(5000);
      s.write(all.subarray(at, at + n));
      at += n;
      if (rng.int(10) === 0) await new Promise((r) => setTimeout(r, 1));
    }
    expect(await until(() => target.frames.length === sent.length)).toBe(true);
    expect(target.frames).toEqual(sent);
  });

  it('blackholes one direction by dialer, resets it after healing, and refuses', async () => {
    const target = await sink();
    const proxy = new PeerProxy(await freePort(), target.port);
    await proxy.start();
    cleanup.push(() => proxy.stop());
    const a = await dial(proxy.port);
    const b = await dial(proxy.port);
    a.write(hello(0xa));
    b.write(hello(0xb));
    expect(await until(() => target.frames.length === 2)).toBe(true);
    proxy.setMode('a', 'blackhole');
    a.write(encodeFrame({ k: 'ping', t: 1 }, 1024));
    b.write(encodeFrame({ k: 'ping', t: 2 }, 1024));
    expect(await until(() => target.frames.length === 3)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(target.frames.length).toBe(3);
    expect(proxy.bytesDropped).toBeGreaterThan(0);
    proxy.heal();
    const closedA = new Promise((r) => a.once('close', r));
    a.write(encodeFrame({ k: 'ping', t: 3 }, 1024));
    await closedA; // the stream lost bytes, so it is reset rather than resumed mid-frame
    proxy.setMode('b', 'refuse');
    expect(await until(() => b.destroyed || b.readableEnded)).toBe(true);
    const c = await dial(proxy.port);
    const closedC = new Promise((r) => c.once('close', r));
    c.write(hello(0xb));
    await closedC;
  });

  it('delays a link: frames arrive in order, none before the delay, and flow freely once healed', async () => {
    const target = await sink();
    const arrivals: number[] = [];
    const proxy = new PeerProxy(await freePort(), target.port);
    await proxy.start();
    cleanup.push(() => proxy.stop());
    const a = await dial(proxy.port);
    a.write(hello(0xa));
    expect(await until(() => target.frames.length === 1)).toBe(true);
    proxy.setMode('a', { delayMs: 150 });
    const sentAt = Date.now();
    for (let t = 0; t < 20; t++) {
      a.write(encodeFrame({ k: 'ping', t }, 1024));
      await new Promise((r) => setTimeout(r, 2));
    }
    // Healing mid-flight must not let later frames overtake the delayed ones.
    proxy.heal();
    a.write(encodeFrame({ k: 'ping', t: 20 }, 1024));
    const seen = () => target.frames.length;
    const poll = setInterval(() => { while (arrivals.length < seen() - 1) arrivals.push(Date.now()); }, 5);
    try {
      expect(await until(() => seen() === 22)).toBe(true);
    } finally {
      clearInterval(poll);
    }
    expect(Math.min(...arrivals) - sentAt).toBeGreaterThanOrEqual(140);
    expect(target.frames.slice(1)).toEqual(Array.from({ length: 21 }, (_, t) => ({ k: 'ping', t })));
    // Healed and drained: a new frame passes without the delay.
    const t0 = Date.now();
    a.write(encodeFrame({ k: 'ping', t: 21 }, 1024));
    expect(await until(() => seen() === 23)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(140);
  });
});
