/**
 * etcd's 64-bit IDs (random member and cluster IDs, lease IDs built from the member ID) through
 * the gateway codec, the Client and the CLI, without a real etcd: a stand-in answers with the
 * bytes etcd 3.4.23 sent (test/compat/etcd-ids.test.ts runs the same against etcd itself).
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJson, encodeMessage } from '../../src/api/json.js';
import { UNARY } from '../../src/api/rpcs.js';
import { runCli } from '../../src/cli/commands/run-cli.js';
import { Client } from '../../src/client/index.js';

const CLUSTER = '6786217435965289449';
const MEMBER = '11605249171607781595'; // above 2^63 too: uint64
const LEASE = '7587869426123765763'; // 694d77aa9e38260f... style: int64 past 2^53
const HEADER = `{"cluster_id":"${CLUSTER}","member_id":"${MEMBER}","revision":"1","raft_term":"2"}`;
const MEMBER_LIST = `{"header":{"cluster_id":"${CLUSTER}","member_id":"${MEMBER}","raft_term":"2"},"members":[{"ID":"${MEMBER}","name":"ids","peerURLs":["http://127.0.0.1:2380"],"clientURLs":["http://127.0.0.1:2379"]}]}`;
const ANSWERS: Record<string, string> = {
  '/v3/cluster/member/list': MEMBER_LIST,
  '/v3/lease/grant': `{"header":${HEADER},"ID":"${LEASE}","TTL":"60"}`,
  '/v3/lease/revoke': `{"header":${HEADER}}`,
  '/v3/lease/timetolive': `{"header":${HEADER},"ID":"${LEASE}","TTL":"59","grantedTTL":"60"}`,
};

let server: Server;
let endpoint = '';
const received: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(body);
      const answer = ANSWERS[req.url ?? ''];
      res.statusCode = answer === undefined ? 404 : 200;
      res.end(answer ?? '{"error":"Not Found","code":5,"message":"Not Found"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('64-bit IDs', () => {
  it('the gateway codec reads and writes them digit for digit', () => {
    const list = decodeJson(UNARY.memberList.response, MEMBER_LIST);
    expect(list.members[0]?.id).toBe(BigInt(MEMBER));
    expect(list.header.clusterId).toBe(BigInt(CLUSTER));
    expect(encodeMessage(UNARY.memberList.response, list)).toBe(MEMBER_LIST);
    const grant = ANSWERS['/v3/lease/grant'] as string;
    expect(encodeMessage(UNARY.leaseGrant.response, decodeJson(UNARY.leaseGrant.response, grant))).toBe(grant);
  });

  it('the Client returns them exactly and sends them back exactly', async () => {
    const client = new Client({ endpoints: [`http://${endpoint}`] });
    const list = await client.memberList();
    expect(list.members.map((m) => m.id)).toEqual([BigInt(MEMBER)]);
    const lease = await client.leaseGrant({ ttl: 60 });
    expect(lease.id).toBe(BigInt(LEASE));
    await client.leaseRevoke({ id: lease.id });
    expect(received.at(-1)).toBe(`{"ID":"${LEASE}"}`);
  });

  it('the CLI prints them as etcdctl does (hex in simple output, every digit in JSON)', async () => {
    const cli = async (...argv: string[]) => {
      const r = await runCli(['--endpoints', endpoint, ...argv]);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout;
    };
    const hex = (d: string) => BigInt(d).toString(16);
    expect(await cli('member', 'list')).toBe(`${hex(MEMBER)}, started, ids, http://127.0.0.1:2380, http://127.0.0.1:2379, false\n`);
    expect(await cli('member', 'list', '-w', 'json')).toBe(
      `{"header":{"cluster_id":${CLUSTER},"member_id":${MEMBER},"raft_term":2},"members":[{"ID":${MEMBER},"name":"ids","peerURLs":["http://127.0.0.1:2380"],"clientURLs":["http://127.0.0.1:2379"]}]}\n`,
    );
    expect(await cli('lease', 'grant', '60')).toBe(`lease ${hex(LEASE)} granted with TTL(60s)\n`);
    expect(await cli('lease', 'timetolive', hex(LEASE))).toBe(`lease ${hex(LEASE)} granted with TTL(60s), remaining(59s)\n`);
    expect(received.at(-1)).toBe(`{"ID":"${LEASE}"}`);
    expect(await cli('lease', 'revoke', hex(LEASE))).toBe(`lease ${hex(LEASE)} revoked\n`);
  });
});
