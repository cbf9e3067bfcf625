/**
 * Mutants of the write path (issue 13) for the project's mutation runner: each is an exact text
 * find/replace on one source file that breaks a durability rule docs/architecture.md ("Storage
 * invariant") relies on, and `tests` are the test files that must fail with it applied. Each was
 * applied by hand and seen to fail those tests.
 */
import type { Mutation } from './mutation.js';

export const catalog: Mutation[] = [
  {
    name: 'wal-batch-not-synced',
    why: `Raft's MustSync: entries and term/vote changes are durable before the member answers (docs/architecture.md, Storage invariant row 1)`,
    file: 'src/storage/kv-wal.ts',
    find: '      await this.land(ops, options.sync);',
    replace: '      await this.land(ops, false);',
    tests: ['test/storage/wal-power-loss.test.ts', 'test/server/write-path-crash.test.ts'],
  },
  {
    name: 'applied-index-in-its-own-earlier-batch',
    why: `etcd's consistent index: the applied index and the effects it describes land in one batch, or a crash between them skips an entry`,
    file: 'src/server/apply.ts',
    find: 'result = { ok: true, value: await this.execute(request, extra, e.index) };',
    replace: 'await this.d.backend.write(extra); await this.d.backend.flush(); result = { ok: true, value: await this.execute(request, [], e.index) };',
    tests: ['test/server/write-path-crash.test.ts'],
  },
  {
    name: 'applied-index-in-its-own-later-batch',
    why: `etcd's consistent index: an applied index landing after its effects lets a crash re-apply an entry`,
    file: 'src/server/apply.ts',
    find: 'result = { ok: true, value: await this.execute(request, extra, e.index) };',
    replace: 'result = { ok: true, value: await this.execute(request, [], e.index) }; await this.d.backend.flush(); await this.d.backend.write(extra);',
    tests: ['test/server/write-path-crash.test.ts'],
  },
  {
    name: 'startup-replay-skip-removed',
    why: `p19: entries at or below the backend's applied index are already in it; re-applying them on restart applies twice`,
    file: 'src/server/apply.ts',
    find: '        if (e.index <= this.backendApplied) return; // replay: the backend holds its effects\n',
    replace: '',
    tests: ['test/server/write-path-crash.test.ts'],
  },
  {
    name: 'backend-behind-wal-snapshot-accepted',
    why: `a backend behind the WAL's snapshot has lost entries the WAL no longer holds: refuse, never diverge (issue 13 defect 1)`,
    file: 'src/server/bootstrap.ts',
    find: '  if (applied.index < (walState.snapshot?.index ?? 0)) {',
    replace: '  if (applied.index < 0) {',
    tests: ['test/server/write-path-crash.test.ts'],
  },
  {
    name: 'leader-sends-before-persisting-a-term-change',
    why: `a leader may send before persisting only within a durable term (thesis §10.2.1; issue 13 defect 6)`,
    file: 'src/server/raft-loop.ts',
    find: '    const sendFirst = this.isLeader && !this.changesTermOrVote(rd.hardState);',
    replace: '    const sendFirst = this.isLeader;',
    tests: ['test/server/raft-loop.test.ts'],
  },
  {
    name: 'leader-applies-after-the-next-write',
    why: `a member applies what it has committed while the next write is in flight (issue 13: a leader answers before the fsync of later proposals)`,
    file: 'src/server/raft-loop.ts',
    find: '    if (durable > 0) {',
    replace: '    if (false) {',
    tests: ['test/server/raft-loop.test.ts'],
  },
  {
    name: 'commit-only-save-forgotten',
    why: `a commit-only save writes nothing; the next synced batch must store its commit, or a restart forgets it for good`,
    file: 'src/storage/kv-wal.ts',
    find: '        if (!hardStateEqual(hs, s.hardState)) this.commitUnstored = true;',
    replace: '',
    tests: ['test/storage/wal-power-loss.test.ts'],
  },
];
