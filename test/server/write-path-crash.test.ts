/**
 * The storage invariant (docs/architecture.md, "Storage invariant"), as a property: drive one
 * member's write path — the WAL, the buffered backend, the real Applier, KvStore and
 * SnapshotPolicy — through a random sequence of Readies (entries, hard states, commits, applies,
 * snapshot records, WAL compactions, idle flushes, LevelDB log rotations), cut the power at every
 * disk write boundary with every loss pattern the LevelDB-like twin allows (a seeded sample when
 * there are too many), restart through bootstrap's `recover`, and check that the member restarts
 * into a prefix of its own history:
 *   - every entry whose synced save was acknowledged is still in the log, unchanged;
 *   - the backend holds exactly the replay of entries 1..a, where a is its applied index, and
 *     the log still holds every committed entry above a, so re-applying them reaches the replay
 *     of 1..commit.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RawNode } from '../../src/raft/index.js';
import type { MemoryStorage } from '../../src/raft/storage.js';
import type { Entry, HardState } from '../../src/raft/types.js';
import { Applier, type ApplyResult } from '../../src/server/apply.js';
import { recover } from '../../src/server/bootstrap.js';
import { defaultConfig, type MemberConfig } from '../../src/server/config.js';
import { encodeRequest, type InternalRequest } from '../../src/server/requests.js';
import { SnapshotPolicy } from '../../src/server/snapshot-policy.js';
import { WaitRegistry } from '../../src/server/wait.js';
import { MemoryDataDir } from '../../src/storage/data-dir.js';
import { MemoryKv } from '../../src/storage/memory-kv.js';
import { KvStore } from '../../src/store/kv-store.js';
import { fromUtf8, utf8 } from '../../src/util/bytes.js';
import { SeededRng } from '../../src/util/rng.js';

const config: MemberConfig = { ...defaultConfig('a'), dataDir: 'crash-disk', snapshotCount: 3, snapshotCatchUpEntries: 2 };
/** More loss patterns than this at one boundary are sampled. */
const MAX_PATTERNS = 8;

type Step =
  | { readonly t: 'ready'; readonly append: number; readonly newTerm: boolean; readonly commit: number }
  | { readonly t: 'idle' }
  | { readonly t: 'rotate' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant('ready' as const), append: fc.integer({ min: 0, max: 3 }), newTerm: fc.boolean(), commit: fc.integer({ min: 0, max: 3 }) }) },
  // Commit-only Readies: their hard state is the one write the member leaves unsynced (etcd's MustSync).
  { weight: 3, arbitrary: fc.record({ t: fc.constant('ready' as const), append: fc.constant(0), newTerm: fc.constant(false), commit: fc.integer({ min: 1, max: 2 }) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'idle' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'rotate' as const }) },
);

function request(index: number): Uint8Array {
  const key = utf8(`k${index % 3}`);
  const r: InternalRequest = index % 5 === 0 ? { op: 'deleteRange', request: { key } } : { op: 'put', request: { key, value: utf8(`v${index}`) } };
  return encodeRequest({ id: `x.${index}`, request: r });
}

/** The store's whole visible state: every live key with its revisions, and the revision. */
async function dump(store: KvStore): Promise<string> {
  const r = await store.range({ key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) });
  return JSON.stringify([store.currentRevision(), r.kvs.map((kv) => [fromUtf8(kv.key), fromUtf8(kv.value), kv.createRevision, kv.modRevision, kv.version])]);
}

/** Entries after the snapshot through `hi` (MemoryStorage refuses an empty range). */
function logAfterSnapshot(storage: MemoryStorage, hi: number): Entry[] {
  const lo = storage.firstIndex();
  return hi < lo ? [] : storage.entries(lo, hi + 1, Infinity);
}

/** Never called: the driven log holds no conf changes. */
const noNode = {} as RawNode;

async function openMember(dd: MemoryDataDir) {
  const rec = await recover(config, dd.wal, dd.backend);
  const store = await KvStore.open(dd.backend);
  const applier = new Applier(
    { node: noNode, store, backend: dd.backend, cluster: rec.cluster, waits: new WaitRegistry<ApplyResult>(1000), onMembership: () => {}, onRemoved: () => {}, selfId: rec.selfId },
    rec.snapshot.index,
    rec.backendApplied.index,
    rec.snapshot.confState,
    rec.snapshot.term,
  );
  return { rec, store, applier };
}

interface Fork {
  readonly disk: MemoryKv;
  /** Last entry index of a synced save that had resolved when the power was cut. */
  readonly ackedLast: number;
}

/** Runs `steps` on a fresh member; returns the whole log written and a fork of the disk at every write boundary. */
async function drive(steps: readonly Step[], logBatches: number | undefined): Promise<{ log: Entry[]; forks: Fork[] }> {
  const disk = new MemoryKv(config.dataDir, logBatches === undefined ? {} : { logBatches });
  const dd = await MemoryDataDir.open(disk);
  const { rec, applier } = await openMember(dd);
  const policy = new SnapshotPolicy(config, rec.storage, dd.wal, rec.snapshot.index);
  const log: Entry[] = [{ index: 1, term: 1, type: 'normal', data: new Uint8Array(0) }];
  let hs: HardState = rec.storage.initialState().hardState;
  let ackedLast = 1;
  const forks: Fork[] = [];
  disk.onWrite = () => forks.push({ disk: disk.fork(), ackedLast });
  for (const step of steps) {
    if (step.t === 'rotate') disk.rotateLog();
    else if (step.t === 'idle') await dd.backend.flush();
    else {
      const term = step.newTerm ? hs.term + 1 : hs.term;
      const first = log.length + 1;
      const entries: Entry[] = Array.from({ length: step.append }, (_, i) => {
        const index = first + i;
        // A new term starts with the leader's empty entry, as raft's election no-op.
        const data = step.newTerm && i === 0 ? new Uint8Array(0) : request(index);
        return { index, term, type: 'normal', data };
      });
      log.push(...entries);
      const next: HardState = { term, vote: step.newTerm ? 1 : hs.vote, commit: Math.min(log.length, hs.commit + step.commit) };
      const mustSync = entries.length > 0 || next.term !== hs.term || next.vote !== hs.vote;
      await dd.wal.save(next, entries, { sync: mustSync });
      rec.storage.append(entries);
      rec.storage.setHardState(next);
      if (mustSync) ackedLast = log.length;
      const committed = log.slice(applier.appliedIndex, next.commit);
      hs = next;
      if (committed.length > 0) {
        await applier.applyAll(committed);
        await policy.afterApply(applier.appliedIndex, applier.currentConfState);
      }
    }
  }
  disk.onWrite = undefined;
  await dd.close();
  return { log, forks };
}

/** The expected dump after applying entries 1..n, for every n, from a member that never crashes. */
async function referenceDumps(log: readonly Entry[]): Promise<string[]> {
  const dd = await MemoryDataDir.open(new MemoryKv('reference'));
  const { store, applier } = await openMember(dd);
  const dumps = ['', await dump(store)];
  for (const e of log.slice(1)) {
    await applier.applyAll([e]);
    dumps.push(await dump(store));
  }
  await dd.close();
  return dumps;
}

function patterns(atRisk: number, rng: SeededRng): Array<(i: number) => boolean> {
  const all = 2 ** atRisk;
  if (all <= MAX_PATTERNS) return Array.from({ length: all }, (_, mask) => (i: number) => ((mask >> i) & 1) === 1);
  return Array.from({ length: MAX_PATTERNS }, () => {
    const mask = Array.from({ length: atRisk }, () => rng.next() < 0.5);
    return (i: number) => mask[i] === true;
  });
}

/** Restarts over `disk` after a power loss keeping `keep`; checks the restored member against the log. */
async function checkRestart(disk: MemoryKv, ackedLast: number, log: readonly Entry[], dumps: readonly string[], what: string): Promise<void> {
  const dd = await MemoryDataDir.open(disk);
  try {
    const { rec, store, applier } = await openMember(dd);
    const a = rec.backendApplied.index;
    const commit = rec.storage.initialState().hardState.commit;
    const last = rec.storage.lastIndex();
    expect(last, `${what}: acknowledged entries lost`).toBeGreaterThanOrEqual(ackedLast);
    for (const e of logAfterSnapshot(rec.storage, last)) {
      expect(e.term, `${what}: entry ${e.index} differs from the one written`).toBe(log[e.index - 1]?.term);
      expect(Buffer.from(e.data).equals(Buffer.from(log[e.index - 1]?.data ?? [])), `${what}: entry ${e.index} data`).toBe(true);
    }
    expect(await dump(store), `${what}: backend at applied index ${a} is not the replay of 1..${a}`).toBe(dumps[a]);
    expect(rec.snapshot.index, `${what}: snapshot above the applied index`).toBeLessThanOrEqual(a);
    await applier.applyAll(logAfterSnapshot(rec.storage, commit));
    expect(await dump(store), `${what}: re-applying up to commit ${commit} from applied ${a}`).toBe(dumps[Math.max(commit, a)]);
  } finally {
    await dd.close();
  }
}

async function crashEverywhere(steps: readonly Step[], logBatches: number | undefined, seed: number): Promise<{ restarts: number; lossy: number }> {
  const { log, forks } = await drive(steps, logBatches);
  const dumps = await referenceDumps(log);
  const rng = new SeededRng(seed);
  let restarts = 0;
  let lossy = 0;
  for (const [p, fork] of forks.entries()) {
    const atRisk = fork.disk.unsyncedBatches();
    for (const [n, keep] of patterns(atRisk, rng).entries()) {
      const disk = fork.disk.fork();
      if (disk.powerLossKeeping(keep) < atRisk) lossy++;
      await checkRestart(disk, fork.ackedLast, log, dumps, `write ${p + 1} of ${forks.length}, loss pattern ${n}, steps ${JSON.stringify(steps)}, logBatches ${logBatches}`);
      restarts++;
    }
  }
  return { restarts, lossy };
}

describe('the write path restarts into a prefix of its history after a power cut at any write', () => {
  it('holds for random Ready sequences, every write boundary, every loss pattern', async () => {
    let restarts = 0;
    let lossy = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 4, maxLength: 16 }), fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }), fc.integer(), async (steps, logBatches, seed) => {
        const counted = await crashEverywhere(steps, logBatches, seed);
        restarts += counted.restarts;
        lossy += counted.lossy;
      }),
      { numRuns: 32, seed: 1306 },
    );
    // The runs really crash often. No write is ever left unsynced at a boundary (a commit-only
    // save writes nothing; every batch is synced), so a power cut keeps what a kill keeps: an
    // unsynced batch anywhere on the write path shows up here before it can lose anything.
    expect(restarts).toBeGreaterThan(250);
    expect(lossy).toBe(0);
  }, 60_000);

  it('refuses to start, naming both indexes, when the backend is behind the WAL snapshot', async () => {
    const disk = new MemoryKv(config.dataDir);
    let dd = await MemoryDataDir.open(disk);
    await openMember(dd);
    // A WAL snapshot record at 3 over a backend applied only through 1: what a lost backend write
    // under a surviving snapshot record looked like before the write path carried one in the other.
    const es: Entry[] = [2, 3].map((index) => ({ index, term: 1, type: 'normal', data: request(index) }));
    await dd.wal.save({ term: 1, vote: 0, commit: 3 }, es, { sync: true });
    await dd.wal.saveSnapshot({ index: 3, term: 1, confState: { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } });
    await dd.close();
    dd = await MemoryDataDir.open(disk);
    await expect(openMember(dd)).rejects.toMatchObject({ code: 'StorageCorrupt', message: expect.stringMatching(/applied index 1 is below the WAL's snapshot index 3/) });
    await dd.close();
  });
});
