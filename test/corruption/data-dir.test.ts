/**
 * A corrupted data dir, in each way that matters, makes `cairn serve` refuse to start with a
 * message saying what is wrong and where (the directory, the entry index); the offline repair
 * (`repairWal`) recovers a torn, unacknowledged WAL tail and then the member starts with every
 * acknowledged write. Real processes; each case corrupts a copy of one stopped member's dir.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { levelLocation, repairWal } from '../../src/storage/data-dir.js';
import { ENTRY_RANGE, entryIndexOf, entryKey, HARD_STATE_KEY } from '../../src/storage/keys.js';
import { LevelKv } from '../../src/storage/level-kv.js';
import { gateway, startProcCluster, type ProcCluster, type ProcMember } from '../e2e/processes.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const KEYS = 30;

let cluster: ProcCluster;
let pristine: string[];
const scratch = mkdtempSync(join(tmpdir(), 'cairn-corrupt-'));

beforeAll(async () => {
  cluster = await startProcCluster(3, 'corrupt');
  const m = cluster.members[0]!;
  for (let i = 0; i < KEYS; i++) {
    const r = await gateway(m.clientUrl, '/v3/kv/put', { key: b64(`c/${i}`), value: b64(`v${i}`) });
    expect(r.status).toBe(200);
  }
  // Every member has applied everything before the clean stop.
  await new Promise((r) => setTimeout(r, 1000));
  for (const x of cluster.members) await cluster.kill(x, 'SIGTERM');
  pristine = cluster.members.map((x, i) => {
    const copy = join(scratch, `pristine-${i}`);
    cpSync(x.dataDir, copy, { recursive: true });
    return copy;
  });
}, 180_000);

afterAll(async () => {
  await cluster?.stopAll();
  rmSync(scratch, { recursive: true, force: true });
});

/** Restores member `i`'s pristine dir, corrupts it, and returns the start error (or undefined). */
async function startCorrupted(i: number, corrupt: (kv: LevelKv, dir: string) => Promise<void>, source = i): Promise<string | undefined> {
  const m = cluster.members[i] as ProcMember;
  rmSync(m.dataDir, { recursive: true, force: true });
  cpSync(pristine[source] as string, m.dataDir, { recursive: true });
  const kv = await LevelKv.open(levelLocation(m.dataDir), m.dataDir);
  try {
    await corrupt(kv, m.dataDir);
  } finally {
    await kv.close();
  }
  try {
    await cluster.start(m);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await cluster.kill(m, 'SIGTERM');
  }
}

async function entryIndexes(kv: LevelKv): Promise<number[]> {
  const out: number[] = [];
  for await (const k of kv.keys(ENTRY_RANGE)) {
    const i = entryIndexOf(k);
    if (i !== undefined) out.push(i);
  }
  return out;
}

describe('a corrupted data dir (real processes)', () => {
  it('a flipped byte in a committed entry: refuses, naming the dir and the entry', async () => {
    let victim = 0;
    const msg = await startCorrupted(0, async (kv) => {
      const idx = await entryIndexes(kv);
      victim = idx[Math.floor(idx.length / 2)] as number;
      const v = Buffer.from((await kv.get(entryKey(victim))) as Uint8Array);
      v[v.length - 1] = (v[v.length - 1] as number) ^ 0x5a;
      await kv.batch([{ type: 'put', key: entryKey(victim), value: v }], { sync: true });
    });
    expect(msg).toBeDefined();
    expect(msg).toContain(cluster.members[0]!.dataDir);
    expect(msg).toMatch(new RegExp(`\\b${victim}\\b`));
    expect(msg).toMatch(/crc|checksum|corrupt/i);
  }, 120_000);

  it('a missing entry in the middle of the log: refuses, naming the gap', async () => {
    let victim = 0;
    const msg = await startCorrupted(0, async (kv) => {
      const idx = await entryIndexes(kv);
      victim = idx[Math.floor(idx.length / 2)] as number;
      await kv.batch([{ type: 'del', key: entryKey(victim) }], { sync: true });
    });
    expect(msg).toBeDefined();
    expect(msg).toContain(cluster.members[0]!.dataDir);
    expect(msg).toMatch(new RegExp(`\\b${victim}\\b`));
  }, 120_000);

  it('a truncated tail below the commit index: refuses (acknowledged entries are gone)', async () => {
    const msg = await startCorrupted(0, async (kv) => {
      const idx = await entryIndexes(kv);
      const drop = idx.slice(-5);
      await kv.batch(drop.map((i) => ({ type: 'del' as const, key: entryKey(i) })), { sync: true });
    });
    expect(msg).toBeDefined();
    expect(msg).toContain(cluster.members[0]!.dataDir);
    expect(msg).toMatch(/commit/i);
  }, 120_000);

  it('a flipped byte in the hard state: refuses', async () => {
    const msg = await startCorrupted(0, async (kv) => {
      const v = Buffer.from((await kv.get(HARD_STATE_KEY)) as Uint8Array);
      v[0] = (v[0] as number) ^ 0xff;
      await kv.batch([{ type: 'put', key: HARD_STATE_KEY, value: v }], { sync: true });
    });
    expect(msg).toBeDefined();
    expect(msg).toContain(cluster.members[0]!.dataDir);
    expect(msg).toMatch(/hard state/i);
  }, 120_000);

  it('a torn tail beyond the commit index: refuses; repairWal drops it and the member starts with every write', async () => {
    const m = cluster.members[0]!;
    let torn = 0;
    const msg = await startCorrupted(0, async (kv) => {
      const idx = await entryIndexes(kv);
      torn = (idx[idx.length - 1] as number) + 1;
      // A record written but never synced and half-lost: garbage bytes at the next index.
      await kv.batch([{ type: 'put', key: entryKey(torn), value: Buffer.from([1, 2, 3, 4, 5]) }], { sync: true });
    });
    expect(msg).toBeDefined();
    expect(msg).toContain(m.dataDir);
    const repaired = await repairWal(m.dataDir);
    expect(repaired.dropped).toBe(1);
    expect(repaired.lastIndex).toBe(torn - 1);
    await cluster.start(cluster.members[1]!);
    await cluster.start(m);
    try {
      const deadline = Date.now() + 30_000;
      let count = -1;
      while (Date.now() < deadline && count !== KEYS) {
        const r = await gateway(m.clientUrl, '/v3/kv/range', { key: b64('c/'), range_end: b64('c0'), serializable: true }).catch(() => undefined);
        count = Number(r?.json?.count ?? -1);
        if (count !== KEYS) await new Promise((res) => setTimeout(res, 200));
      }
      expect(count).toBe(KEYS);
    } finally {
      await cluster.kill(m, 'SIGTERM');
      await cluster.kill(cluster.members[1]!, 'SIGTERM');
    }
  }, 120_000);

  it("another member's data dir: refuses to start as the wrong member", async () => {
    const msg = await startCorrupted(0, async () => undefined, 1);
    expect(msg, 'member infra1 started on infra2\'s data dir').toBeDefined();
    expect(msg).toMatch(/belongs to member [0-9a-f]+ named "infra2", not to --name=infra1/);
  }, 120_000);
});
