import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startNode, type CairnNode } from '../../src/index.js';
import { Client } from '../../src/client/index.js';
import { freePort } from '../e2e/processes.js';

const dirs: string[] = [];
let node: CairnNode | undefined;
afterEach(async () => {
  await node?.close();
  node = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'cairn-node-'));
  dirs.push(d);
  return d;
}

const enc = (s: string) => new TextEncoder().encode(s);

describe('startNode', () => {
  it('embeds a member with the KV interface and keeps its data across restarts', async () => {
    const dataDir = join(tempDir(), 'n1');
    node = await startNode({ dataDir, heartbeatIntervalMs: 10, electionTimeoutMs: 100 });
    await node.put({ key: enc('embedded'), value: enc('yes') });
    const r = await node.range({ key: enc('embedded') });
    expect(new TextDecoder().decode(r.kvs[0]?.value)).toBe('yes');
    expect(r.header.memberId).toBe(BigInt(node.member.id));
    await node.close();
    node = await startNode({ dataDir, heartbeatIntervalMs: 10, electionTimeoutMs: 100 });
    expect((await node.range({ key: enc('embedded') })).kvs).toHaveLength(1);
  });

  it('serves the gateway with http: true, for the client to use', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const peer = `http://127.0.0.1:${await freePort()}`;
    node = await startNode({
      http: true,
      dataDir: join(tempDir(), 'n2'),
      listenClientUrls: [url],
      advertiseClientUrls: [url],
      listenPeerUrls: [peer],
      initialAdvertisePeerUrls: [peer],
      initialCluster: new Map([['default', [peer]]]),
      heartbeatIntervalMs: 10,
      electionTimeoutMs: 100,
      logger: false,
    });
    expect(node.clientUrls).toEqual([url]);
    const client = new Client({ endpoints: [url] });
    await client.put({ key: enc('via-http'), value: enc('1') });
    expect((await node.range({ key: enc('via-http') })).kvs).toHaveLength(1);
  });

  it('a start that fails releases the data dir, so the host can start it again', async () => {
    const dataDir = join(tempDir(), 'n3');
    node = await startNode({ name: 'a', dataDir, heartbeatIntervalMs: 10, electionTimeoutMs: 100 });
    await node.close();
    node = undefined;
    // The data dir belongs to member "a": starting it as "b" fails after LevelDB was opened.
    await expect(startNode({ name: 'b', dataDir, heartbeatIntervalMs: 10, electionTimeoutMs: 100 })).rejects.toMatchObject({ code: 'StorageCorrupt' });
    node = await startNode({ name: 'a', dataDir, heartbeatIntervalMs: 10, electionTimeoutMs: 100 });
    expect(node.member.memberList()).toHaveLength(1);
  });

  it('derives the initial cluster from the advertised peer URL as serve does, and logs to the given logger', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const peer = `http://127.0.0.1:${await freePort()}`;
    const lines: { level: string; msg: string; obj: object }[] = [];
    const at = (level: string) => (obj: object, msg: string) => void lines.push({ level, msg, obj });
    node = await startNode({
      http: true,
      name: 'app',
      dataDir: join(tempDir(), 'n3'),
      listenClientUrls: [url],
      advertiseClientUrls: [url],
      listenPeerUrls: [peer],
      initialAdvertisePeerUrls: [peer],
      initialCluster: undefined,
      logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
    });
    const members = (await node.memberList({})).members;
    expect(members.map((m) => [m.name, m.peerUrls])).toEqual([['app', [peer]]]);
    await new Client({ endpoints: [url] }).put({ key: enc('derived'), value: enc('1') });
    expect(lines.map((l) => l.msg)).toContain('member started');
    expect(lines.find((l) => l.msg === 'member started')?.obj).toMatchObject({ member: node.member.id.toString(16) });
  });
});
