/**
 * IDs at or above 2^53 sent to a cairn member (src/server/api-ids.ts): cairn never issues one,
 * so each is answered as an ID it does not know — exactly as etcd answers — never rounded to a
 * nearby number that could name a real lease or member. Over the embedded API and the gateway.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type CairnNode } from '../../src/index.js';
import { isKvError } from '../../src/util/errors.js';
import { freePort } from '../e2e/processes.js';

const enc = (s: string) => new TextEncoder().encode(s);
const BIG = 2n ** 63n - 1n;
let node: CairnNode;
let base = '';
let dir = '';

/** The code a rejected call carries, or 'resolved'. */
const codeOf = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'resolved',
    (e: unknown) => (isKvError(e) ? e.code : String(e)),
  );

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cairn-ids-'));
  base = `http://127.0.0.1:${await freePort()}`;
  const peer = `http://127.0.0.1:${await freePort()}`;
  node = await startNode({
    http: true, dataDir: join(dir, 'm'), listenClientUrls: [base], advertiseClientUrls: [base], listenPeerUrls: [peer],
    initialAdvertisePeerUrls: [peer], initialCluster: new Map([['default', [peer]]]), heartbeatIntervalMs: 10, electionTimeoutMs: 100, logger: false,
  });
});
afterAll(async () => {
  await node.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('IDs beyond 2^53 sent to cairn', () => {
  it('a lease that large is not found: revoke, put, timetolive, keep-alive (ID echoed exactly)', async () => {
    // 2^53 + 1 rounds to 2^53 as a number: a member that rounded would act on lease 2^53.
    const granted = await node.leaseGrant({ ttl: 60, id: 2n ** 53n - 1n });
    expect(granted.id).toBe(2n ** 53n - 1n);
    for (const id of [2n ** 53n + 1n, BIG]) {
      expect(await codeOf(node.leaseRevoke({ id }))).toBe('LeaseNotFound');
      expect(await codeOf(node.put({ key: enc('k'), value: enc('v'), lease: id }))).toBe('LeaseNotFound');
      expect(await node.leaseTimeToLive({ id })).toMatchObject({ id, ttl: -1 });
      expect(await node.leaseKeepAlive({ id })).toMatchObject({ id, ttl: 0 });
    }
    expect((await node.leaseTimeToLive({ id: granted.id })).ttl).toBeGreaterThan(0);
  });

  it('a txn putting with such a lease fails whole; a LEASE compare with it holds as etcd\'s would', async () => {
    await node.put({ key: enc('c'), value: enc('1') });
    const put = { type: 'put' as const, request: { key: enc('c'), value: enc('2'), lease: BIG } };
    expect(await codeOf(node.txn({ success: [put] }))).toBe('LeaseNotFound');
    const results = ['EQUAL', 'NOT_EQUAL', 'LESS', 'GREATER'] as const;
    const holds = async (key: string, lease: bigint) => {
      const out: boolean[] = [];
      for (const result of results) out.push((await node.txn({ compare: [{ key: enc(key), target: 'LEASE', result, lease }] })).succeeded);
      return out;
    };
    // The key's lease (0 here, or any lease cairn grants) is below 2^53 + 1 and above -2^63.
    expect(await holds('c', 2n ** 53n + 1n)).toEqual([false, true, true, false]);
    expect(await holds('c', -(2n ** 63n))).toEqual([false, true, false, true]);
    const leased = await node.leaseGrant({ ttl: 60 });
    await node.put({ key: enc('d'), value: enc('1'), lease: leased.id });
    expect(await holds('d', BIG)).toEqual([false, true, true, false]);
    expect(await holds('d', leased.id)).toEqual([true, false, false, false]);
  });

  it('granting a lease ID cairn cannot hold is refused, not rounded', async () => {
    expect(await codeOf(node.leaseGrant({ ttl: 60, id: 2n ** 53n + 1n }))).toBe('InvalidArgument');
    expect((await node.leaseLeases()).leases.map((l) => l.id)).not.toContain(2n ** 53n);
  });

  it('a member that large is not found; move-leader to it is a bad transferee', async () => {
    expect(await codeOf(node.memberRemove({ id: 2n ** 64n - 1n }))).toBe('MemberNotFound');
    expect(await codeOf(node.memberPromote({ id: 2n ** 53n + 1n }))).toBe('MemberNotFound');
    expect(await codeOf(node.moveLeader({ targetId: 2n ** 63n }))).toBe('BadLeaderTransferee');
  });

  it('over the gateway: the 64-bit ID goes back digit for digit', async () => {
    const post = async (path: string, body: string) => {
      const res = await fetch(`${base}${path}`, { method: 'POST', body });
      return [res.status, await res.text()] as const;
    };
    expect(await post('/v3/lease/timetolive', '{"ID":"9223372036854775807"}')).toEqual([200, expect.stringContaining('"ID":"9223372036854775807","TTL":"-1"')]);
    const [status, text] = await post('/v3/lease/revoke', '{"ID":"9007199254740993"}');
    expect([status, JSON.parse(text).message]).toEqual([404, 'etcdserver: requested lease not found']);
  });
});
