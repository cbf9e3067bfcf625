/**
 * Quorum arithmetic (etcd-io/raft `quorum/`): a majority configuration and a joint one (two
 * majorities, both needed — Raft thesis §4.3). Learners are never part of these sets.
 */
export type VoteResult = 'pending' | 'lost' | 'won';

/** Committed index of a majority config: the highest index acked by a majority of voters. */
export function majorityCommitted(voters: ReadonlySet<number>, acked: (id: number) => number | undefined): number {
  const n = voters.size;
  // An empty config commits anything, so it drops out of a joint min().
  if (n === 0) return Infinity;
  const idx: number[] = [];
  for (const id of voters) idx.push(acked(id) ?? 0);
  idx.sort((a, b) => b - a);
  // The (n/2+1)-th largest value is acked by a majority.
  return idx[Math.floor(n / 2)] as number;
}

export function majorityVoteResult(voters: ReadonlySet<number>, votes: ReadonlyMap<number, boolean>): VoteResult {
  // An empty config wins every vote, so the joint result is decided by the other half.
  if (voters.size === 0) return 'won';
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) granted++;
  }
  const q = Math.floor(voters.size / 2) + 1;
  if (granted >= q) return 'won';
  if (granted + missing >= q) return 'pending';
  return 'lost';
}

/** A joint config: [incoming, outgoing]; outgoing is empty outside joint consensus. */
export type JointVoters = readonly [ReadonlySet<number>, ReadonlySet<number>];

export function jointCommitted(voters: JointVoters, acked: (id: number) => number | undefined): number {
  return Math.min(majorityCommitted(voters[0], acked), majorityCommitted(voters[1], acked));
}

export function jointVoteResult(voters: JointVoters, votes: ReadonlyMap<number, boolean>): VoteResult {
  const r1 = majorityVoteResult(voters[0], votes);
  const r2 = majorityVoteResult(voters[1], votes);
  if (r1 === r2) return r1;
  if (r1 === 'lost' || r2 === 'lost') return 'lost';
  return 'pending';
}
