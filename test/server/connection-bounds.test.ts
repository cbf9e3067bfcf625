/**
 * A real member (`startNode({ http: true })`, TCP peer port, LevelDB) under the two connection
 * floods of issue 15: strangers sending 16 MiB frames to the peer port before any handshake,
 * and more client connections than `maxConnections` (the `--max-connections` flag's field).
 * The bound is hit each time, and the member keeps answering /health and puts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startNode, type CairnNode } from '../../src/index.js';
import { freePort } from '../e2e/processes.js';
import { RawHttp, closedWithin, putRequest } from '../http/raw-http.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function member(maxConnections: number): Promise<{ node: CairnNode; clientPort: number; peerPort: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-bounds-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const node = await startNode({
    http: true,
    dataDir: join(dir, 'm1'),
    listenClientUrls: [client],
    advertiseClientUrls: [client],
    listenPeerUrls: [peer],
    initialAdvertisePeerUrls: [peer],
    initialCluster: new Map([['default', [peer]]]),
    heartbeatIntervalMs: 10,
    electionTimeoutMs: 100,
    maxConnections,
    logLevel: 'error',
  });
  cleanups.push(() => node.close());
  // Healthy once it has elected itself.
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`${client}/health`).then((r) => r.ok, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  return { node, clientPort, peerPort };
}

async function healthAndPut(port: number, key: string): Promise<void> {
  const health = await fetch(`http://127.0.0.1:${port}/health`);
  expect(await health.json()).toEqual({ health: 'true', reason: '' });
  const put = await fetch(`http://127.0.0.1:${port}/v3/kv/put`, { method: 'POST', body: JSON.stringify({ key: btoa(key), value: btoa('v') }) });
  expect(put.status).toBe(200);
}

describe('a member under connection floods', () => {
  it('closes peer-port strangers sending 16 MiB frames before the handshake and keeps serving', async () => {
    const m = await member(100);
    const strangers = Array.from({ length: 40 }, () => {
      const s = net.connect({ host: '127.0.0.1', port: m.peerPort });
      s.on('error', () => undefined);
      const closed = new Promise<void>((resolve) => s.on('close', () => resolve()));
      s.on('connect', () => {
        const header = Buffer.alloc(4);
        header.writeUInt32BE(16 * 1024 * 1024 - 1);
        s.write(header);
        s.write(Buffer.alloc(64 * 1024, 1));
      });
      return { s, closed };
    });
    await healthAndPut(m.clientPort, 'during');
    // Closed by the member (the handshake timer would take 5 s; the frame bound acts at once).
    const closedAll = Promise.all(strangers.map((x) => x.closed)).then(() => true);
    expect(await Promise.race([closedAll, new Promise<boolean>((r) => setTimeout(() => r(false), 3000))])).toBe(true);
    await healthAndPut(m.clientPort, 'after');
  });

  it('closes client connections over maxConnections at once and serves the ones it holds', async () => {
    const m = await member(3);
    const kept = await RawHttp.connect(m.clientPort);
    cleanups.push(() => void kept.socket.destroy());
    kept.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await kept.until(/"health":"true"/);
    const idle = [await RawHttp.connect(m.clientPort), await RawHttp.connect(m.clientPort)];
    cleanups.push(() => idle.forEach((c) => c.socket.destroy()));
    const over = await RawHttp.connect(m.clientPort);
    expect(await closedWithin(over, 2000)).toBe(true);
    expect(over.text).toBe('');
    kept.text = '';
    kept.write(putRequest('held', 'yes'));
    await kept.until(/^HTTP\/1\.1 200 /);
    idle[0]!.socket.destroy();
    await idle[0]!.closed;
    await new Promise((r) => setTimeout(r, 50));
    await healthAndPut(m.clientPort, 'freed');
  });
});
