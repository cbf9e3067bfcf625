/**
 * Bad input on the peer port of a real member: random bytes, truncated frames, an absurd length
 * prefix, a peer claiming another cluster, and well-framed messages with absurd fields from a
 * peer impersonating a member. Each connection is refused or closed, no member process dies,
 * the cluster stays healthy and keeps serving, and memory stays bounded.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateway, startProcCluster, type ProcCluster, type ProcMember } from '../e2e/processes.js';
import { RawPeer } from '../transport/raw-peer.js';
import { stillServing } from './member.js';

let cluster: ProcCluster;
let target: ProcMember;
let ids: { cluster: string; target: number; other: number };

beforeAll(async () => {
  cluster = await startProcCluster(3, 'peer-fuzz');
  target = cluster.members[0]!;
  const a = await gateway(target.clientUrl, '/v3/maintenance/status', {});
  const b = await gateway(cluster.members[1]!.clientUrl, '/v3/maintenance/status', {});
  ids = { cluster: BigInt(a.json.header.cluster_id).toString(16), target: Number(a.json.header.member_id), other: Number(b.json.header.member_id) };
}, 120_000);
afterAll(async () => {
  await cluster?.stopAll();
});

const rssOf = (m: ProcMember) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${m.proc?.pid}/status`, 'utf8'))?.[1]) * 1024;

async function closedWithin(peer: RawPeer, ms: number): Promise<boolean> {
  return Promise.race([peer.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
}

async function allAlive(): Promise<void> {
  for (const m of cluster.members) expect(m.proc?.exitCode ?? null, `${m.name} exited: ${m.output.slice(-2000)}`).toBeNull();
  const deadline = Date.now() + 20_000;
  let health = '';
  while (Date.now() < deadline) {
    health = await fetch(`${target.clientUrl}/health`).then((r) => r.text(), (e: Error) => e.message);
    if (health.includes('"true"')) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(health).toContain('"health":"true"');
  expect((await stillServing(target.clientUrl, 'peer-fuzz')).ok).toBe(true);
}

describe('peer transport under bad input (real processes)', () => {
  it('random byte streams and truncated frames are closed; the member keeps serving', async () => {
    const before = rssOf(target);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 2000 }), async (bytes) => {
        const peer = await RawPeer.connect(target.peerUrl);
        peer.raw(bytes);
        // Either the listener closes (bad frame, handshake timeout) or it waits for more bytes.
        await closedWithin(peer, 50);
        peer.destroy();
      }),
      { numRuns: 150, seed: 5 },
    );
    // A truncated frame, then EOF.
    const t = await RawPeer.connect(target.peerUrl);
    t.raw(Buffer.from([0, 0, 0, 100, 0x85, 0xa1]));
    t.socket.end();
    expect(await closedWithin(t, 5000)).toBe(true);
    // A length prefix of 4 GiB: refused before allocating.
    const huge = await RawPeer.connect(target.peerUrl);
    huge.raw(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
    expect(await closedWithin(huge, 5000)).toBe(true);
    await allAlive();
    expect(rssOf(target)).toBeLessThan(Math.max(before * 2, 400 << 20));
  }, 120_000);

  it('a peer claiming another cluster is refused with a cluster ID mismatch', async () => {
    const peer = await RawPeer.connect(target.peerUrl);
    peer.hello(ids.other, ids.target, 'raft', 'deadbeef');
    expect(await closedWithin(peer, 5000)).toBe(true);
    expect(peer.frames[0]).toMatchObject({ k: 'refuse', reason: 'clusterIdMismatch' });
    const wrongTarget = await RawPeer.connect(target.peerUrl);
    wrongTarget.hello(ids.other, ids.target + 1, 'raft', ids.cluster);
    expect(await closedWithin(wrongTarget, 5000)).toBe(true);
    expect(wrongTarget.frames[0]).toMatchObject({ k: 'refuse', reason: 'wrongTarget' });
    await allAlive();
  }, 60_000);

  it('well-framed messages with absurd fields from a known peer close the stream, not the member', async () => {
    const absurd: unknown[] = [
      { k: 'msgs', msgs: [{ type: 'MsgApp', to: ids.target, from: ids.other, term: 1e300, index: 1, logTerm: 1, entries: [], commit: 0 }] },
      { k: 'msgs', msgs: [{ type: 'MsgHeartbeat', to: ids.target, from: ids.other, term: -3, commit: -1 }] },
      { k: 'msgs', msgs: [{ type: 'NoSuchType', to: ids.target, from: ids.other, term: 1 }] },
      { k: 'msgs', msgs: [{ type: 'MsgApp', to: ids.target, from: ids.other, term: 1, index: 1.5, logTerm: 'x', entries: 'nope', commit: 0 }] },
      { k: 'msgs', msgs: 'not a list' },
      { k: 'msgs', msgs: [{ type: 'MsgApp', to: ids.target + 7, from: ids.other, term: 1, index: 0, logTerm: 0, entries: [], commit: 0 }] },
      { k: 'snapChunk', data: new Uint8Array(10), crc: 1 },
      { k: 'ping', t: 'later' },
      { k: 42 },
      [1, 2, 3],
    ];
    let closed = 0;
    for (const frame of absurd) {
      const peer = await RawPeer.connect(target.peerUrl);
      peer.hello(ids.other, ids.target, 'raft', ids.cluster);
      peer.frame(frame);
      if (await closedWithin(peer, 3000)) closed++;
      peer.destroy();
    }
    expect(closed).toBe(absurd.length);
    await allAlive();
  }, 120_000);
});
