/**
 * A lone voter need not wait out an election timeout to lead. etcd fast-forwards a single-member
 * cluster's ticks to the brink of an election on start (etcdserver adjustTicks); cairn's member
 * campaigns at once instead: with no other voter there is nobody to disrupt, and with PreVote a
 * campaign that cannot win changes nothing. A restarted single member then serves as soon as its
 * state is loaded, not a randomized election timeout (1–2 s by default) later.
 */
import type { ConfState } from '../raft/types.js';

export function isLoneVoter(conf: ConfState, self: number): boolean {
  return conf.voters.length === 1 && conf.voters[0] === self && conf.votersOutgoing.length === 0;
}
