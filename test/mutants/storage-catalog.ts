/**
 * Mutants of the write path (issue 13) for the project's mutation runner: each is an exact text
 * find/replace on one source file that breaks a durability rule docs/architecture.md ("Storage
 * invariant") relies on, and `tests` are the test files that must fail with it applied. Each was
 * applied by hand and seen to fail those tests.
 */
export interface SourceMutant {
  readonly name: string;
  /** Path from the repository root. */
  readonly file: string;
  /** Exact text, occurring once in `file`. */
  readonly find: string;
  readonly replace: string;
  /** Test files (from the repository root) of which at least one fails with the mutant applied. */
  readonly tests: readonly string[];
}

export const storageMutants: readonly SourceMutant[] = [
  {
    name: 'wal-batch-not-synced',
    file: 'src/storage/kv-wal.ts',
    find: '      await this.land(ops, options.sync);',
    replace: '      await this.land(ops, false);',
    tests: ['test/storage/wal-power-loss.test.ts', 'test/server/write-path-crash.test.ts'],
  },
  {
    name: 'applied-index-in-its-own-earlier-batch',
    file: 'src/server/apply.ts',
    find: 'result = { ok: true, value: await this.execute(request, extra) };',
    replace: 'await this.d.backend.write(extra); await this.d.backend.flush(); result = { ok: true, value: await this.execute(request, []) };',
    tests: ['test/server/write-path-crash.test.ts'],
  },
  {
    name: 'applied-index-in-its-own-later-batch',
    file: 'src/server/apply.ts',
    find: 'result = { ok: true, value: await this.execute(request, extra) };',
    replace: 'result = { ok: true, value: await this.execute(request, []) }; await this.d.backend.flush(); await this.d.backend.write(extra);',
    tests: ['test/server/write-path-crash.test.ts'],
  },
  {
    name: 'startup-replay-skip-removed',
    file: 'src/server/apply.ts',
    find: '        if (e.index <= this.backendApplied) return; // replay: the backend holds its effects\n',
    replace: '',
    tests: ['test/server/write-path-crash.test.ts'],
  },
  {
    name: 'backend-behind-wal-snapshot-accepted',
    file: 'src/server/bootstrap.ts',
    find: '  if (applied.index < (walState.snapshot?.index ?? 0)) {',
    replace: '  if (applied.index < 0) {',
    tests: ['test/server/write-path-crash.test.ts'],
  },
  {
    name: 'leader-sends-before-persisting-a-term-change',
    file: 'src/server/raft-loop.ts',
    find: '    const sendFirst = this.isLeader && !this.changesTermOrVote(rd.hardState);',
    replace: '    const sendFirst = this.isLeader;',
    tests: ['test/server/raft-loop.test.ts'],
  },
];
