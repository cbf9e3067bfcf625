/**
 * Picks a membership change the current leader could legally propose (etcd confchange rules:
 * no empty incoming voter set, a simple change touches at most one voter, no change while
 * joint except leaving). The simulator keeps 3..7 voters so a healed cluster stays live
 * (raft-pitfalls.md 12: removal down to 2 nodes can lose liveness).
 */
import type { ConfChangeSingle, ConfChangeTransition, ConfChangeV2, ConfState, NodeId } from '../../../src/raft/types.js';
import type { SeededRng } from '../../../src/util/rng.js';

export interface MembershipPlan {
  readonly kind: string;
  readonly cc: ConfChangeV2;
  /** Fresh node ids the change adds (the simulator starts blank nodes for them first). */
  readonly newIds: readonly NodeId[];
}

const EMPTY = new Uint8Array(0);
export const MIN_VOTERS = 3;
export const MAX_VOTERS = 7;
/** Bound on simulated processes (members, spares and retired ones). */
export const MAX_HOSTS = 12;

export function leaveJoint(): ConfChangeV2 {
  return { transition: 'auto', changes: [], context: EMPTY };
}

export function isJoint(cs: ConfState): boolean {
  return cs.votersOutgoing.length > 0;
}

export function members(cs: ConfState): Set<NodeId> {
  return new Set([...cs.voters, ...cs.votersOutgoing, ...cs.learners, ...cs.learnersNext]);
}

function pick<T>(rng: SeededRng, xs: readonly T[]): T | undefined {
  return xs.length === 0 ? undefined : xs[rng.int(xs.length)];
}

/**
 * One random plan for a leader whose applied config is `cs`; `freshId()` hands out ids never
 * used before. Returns undefined when the drawn kind does not fit the current config.
 */
export function planChange(rng: SeededRng, cs: ConfState, freshId: () => NodeId): MembershipPlan | undefined {
  if (isJoint(cs)) return cs.autoLeave ? undefined : { kind: 'leave-joint', cc: leaveJoint(), newIds: [] };
  const voters = cs.voters;
  const learners = cs.learners;
  const canAdd = voters.length + learners.length < MAX_VOTERS + 1;
  const simple = (kind: string, c: ConfChangeSingle, newIds: NodeId[] = []): MembershipPlan => ({
    kind,
    cc: { transition: 'auto', changes: [c], context: EMPTY },
    newIds,
  });
  const joint = (kind: string, changes: ConfChangeSingle[], newIds: NodeId[]): MembershipPlan => {
    const transition = pick<ConfChangeTransition>(rng, ['auto', 'explicit', 'implicit']) ?? 'auto';
    return { kind: `${kind}(${transition})`, cc: { transition, changes, context: EMPTY }, newIds };
  };
  switch (rng.int(8)) {
    case 0: {
      if (!canAdd || voters.length >= MAX_VOTERS) return undefined;
      const id = freshId();
      return simple('add-voter', { type: 'addNode', nodeId: id }, [id]);
    }
    case 1: {
      if (!canAdd) return undefined;
      const id = freshId();
      return simple('add-learner', { type: 'addLearnerNode', nodeId: id }, [id]);
    }
    case 2: {
      const l = pick(rng, learners);
      if (l === undefined || voters.length >= MAX_VOTERS) return undefined;
      return simple('promote-learner', { type: 'addNode', nodeId: l });
    }
    case 3: {
      const v = pick(rng, voters);
      if (v === undefined || voters.length <= MIN_VOTERS) return undefined;
      return simple('remove-voter', { type: 'removeNode', nodeId: v });
    }
    case 4: {
      const l = pick(rng, learners);
      return l === undefined ? undefined : simple('remove-learner', { type: 'removeNode', nodeId: l });
    }
    case 5: {
      // Replace a voter (possibly the leader) through a joint configuration.
      const v = pick(rng, voters);
      if (v === undefined || !canAdd) return undefined;
      const id = freshId();
      return joint('replace-voter', [{ type: 'addNode', nodeId: id }, { type: 'removeNode', nodeId: v }], [id]);
    }
    case 6: {
      // Demote a voter to learner while adding a new voter (learnersNext in the joint state).
      const v = pick(rng, voters);
      if (v === undefined || !canAdd || voters.length >= MAX_VOTERS) return undefined;
      const id = freshId();
      return joint('demote-and-add', [{ type: 'addLearnerNode', nodeId: v }, { type: 'addNode', nodeId: id }], [id]);
    }
    default: {
      // Two additions at once, or a single change forced through a joint state.
      if (!canAdd || voters.length + 2 > MAX_VOTERS) return undefined;
      const a = freshId();
      const b = freshId();
      return joint('add-two-voters', [{ type: 'addNode', nodeId: a }, { type: 'addNode', nodeId: b }], [a, b]);
    }
  }
}
