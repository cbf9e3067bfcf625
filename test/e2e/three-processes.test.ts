/**
 * Three `cairn serve` processes on 127.0.0.1 with etcd-style flags: write through one member,
 * read linearizably from another, watch from a third; SIGKILL the leader; a new leader is
 * elected, no acknowledged write is lost, and the watch on a surviving member sees every event
 * once, in order.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../src/client/index.js';
import { gateway, startProcCluster, type ProcCluster, type ProcMember } from './processes.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString();

let cluster: ProcCluster;
beforeAll(async () => {
  cluster = await startProcCluster(3);
}, 120_000);
afterAll(async () => {
  await cluster?.stopAll();
});

async function leaderOf(members: ProcMember[]): Promise<ProcMember> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    for (const m of members) {
      try {
        const s = await gateway(m.clientUrl, '/v3/maintenance/status', {});
        if (s.status === 200 && s.json.leader !== undefined && s.json.leader === s.json.header.member_id) return m;
      } catch {
        // member down or busy
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no leader');
}

/** A /v3/watch stream: the request body stays open, results arrive as JSON lines. */
function openWatch(url: string, prefix: string) {
  const events: Array<{ type: string; key: string; rev: number }> = [];
  const u = new URL('/v3/watch', url);
  const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST' });
  let buffer = '';
  req.on('response', (res) => {
    res.on('data', (d: Buffer) => {
      buffer += d.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (line === '') continue;
        const result = JSON.parse(line).result;
        for (const e of result?.events ?? []) {
          events.push({ type: e.type ?? 'PUT', key: unb64(e.kv.key), rev: Number(e.kv.mod_revision) });
        }
      }
    });
  });
  req.on('error', () => undefined);
  req.write(JSON.stringify({ create_request: { key: b64(prefix), range_end: b64(prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)) } }));
  return { events, close: () => req.destroy() };
}

describe('three cairn serve processes', () => {
  it('answer lease grant, keep-alive and time-to-live sent to a follower', async () => {
    const leader = await leaderOf(cluster.members);
    const follower = cluster.members.find((m) => m !== leader) as ProcMember;
    const grant = await gateway(follower.clientUrl, '/v3/lease/grant', { TTL: '30' });
    expect(grant.status).toBe(200);
    const id = grant.json.ID as string;
    expect(grant.json.TTL).toBe('30');
    const put = await gateway(follower.clientUrl, '/v3/kv/put', { key: b64('leased'), value: b64('x'), lease: id });
    expect(put.status).toBe(200);
    const keepAlive = await fetch(`${follower.clientUrl}/v3/lease/keepalive`, { method: 'POST', body: JSON.stringify({ ID: id }) });
    const line = (await keepAlive.text()).split('\n').find((l) => l.trim() !== '') as string;
    expect(JSON.parse(line).result).toMatchObject({ ID: id, TTL: '30' });
    const ttl = await gateway(follower.clientUrl, '/v3/lease/timetolive', { ID: id, keys: true });
    expect(ttl.status).toBe(200);
    expect(ttl.json.grantedTTL).toBe('30');
    expect(Number(ttl.json.TTL)).toBeGreaterThan(25);
    expect(ttl.json.keys).toEqual([b64('leased')]);
    const revoke = await gateway(follower.clientUrl, '/v3/lease/revoke', { ID: id });
    expect(revoke.status).toBe(200);
    const gone = await gateway(leader.clientUrl, '/v3/kv/range', { key: b64('leased') });
    expect(gone.json.kvs).toBeUndefined();
  }, 60_000);

  it('replicate, read linearizably anywhere, watch, and survive SIGKILL of the leader', async () => {
    const leader = await leaderOf(cluster.members);
    const [writer, watcherMember] = cluster.members.filter((m) => m !== leader) as [ProcMember, ProcMember];
    const watch = openWatch(watcherMember.clientUrl, 'e2e/');
    // The client's resumable watch starts on the leader, so killing it forces a resume elsewhere.
    const client = new Client({ endpoints: [leader.clientUrl, writer.clientUrl, watcherMember.clientUrl] });
    const resumed: Array<{ key: string; rev: number }> = [];
    const watching = (async () => {
      for await (const batch of client.watchKey('e2e/', { prefix: true }, { reconnectDelayMs: 50 })) {
        for (const e of batch.events) resumed.push({ key: Buffer.from(e.kv.key).toString(), rev: e.kv.modRevision });
        if (resumed.length >= 30) return;
      }
    })();
    await new Promise((r) => setTimeout(r, 300));

    const acked: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await gateway(writer.clientUrl, '/v3/kv/put', { key: b64(`e2e/${i}`), value: b64(`v${i}`) });
      expect(r.status).toBe(200);
      acked.push(`e2e/${i}`);
    }
    const read = await gateway(leader.clientUrl, '/v3/kv/range', { key: b64('e2e/19') });
    expect(unb64(read.json.kvs[0].value)).toBe('v19');

    await cluster.kill(leader, 'SIGKILL');
    const survivors = cluster.members.filter((m) => m !== leader);
    const next = await leaderOf(survivors);
    expect(next).not.toBe(leader);
    for (let i = 20; i < 30; i++) {
      const r = await gateway(writer.clientUrl, '/v3/kv/put', { key: b64(`e2e/${i}`), value: b64(`v${i}`) });
      expect(r.status).toBe(200);
      acked.push(`e2e/${i}`);
    }
    for (const m of survivors) {
      const all = await gateway(m.clientUrl, '/v3/kv/range', { key: b64('e2e/'), range_end: b64('e2e0') });
      expect(all.json.kvs.map((kv: { key: string }) => unb64(kv.key)).sort()).toEqual([...acked].sort());
    }

    const deadline = Date.now() + 10_000;
    while ((watch.events.length < acked.length || resumed.length < acked.length) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    watch.close();
    expect(watch.events.map((e) => e.key)).toEqual(acked);
    const revs = watch.events.map((e) => e.rev);
    expect([...revs].sort((a, b) => a - b)).toEqual(revs);
    expect(new Set(revs).size).toBe(revs.length);
    // The client's watch lost its member mid-stream and resumed: every event once, in order.
    await watching;
    expect(resumed.map((e) => e.key)).toEqual(acked);
    expect(resumed.map((e) => e.rev)).toEqual(revs);

    // The killed member restarts from its data dir and catches up.
    await cluster.start(leader);
    const deadline2 = Date.now() + 20_000;
    let caughtUp = false;
    while (!caughtUp && Date.now() < deadline2) {
      const r = await gateway(leader.clientUrl, '/v3/kv/range', { key: b64('e2e/29'), serializable: true }).catch(() => undefined);
      caughtUp = r?.json?.kvs?.[0] !== undefined;
      if (!caughtUp) await new Promise((res) => setTimeout(res, 100));
    }
    expect(caughtUp).toBe(true);
  }, 120_000);
});
