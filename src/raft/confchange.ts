/**
 * Membership changes (etcd-io/raft `confchange/`): simple one-voter changes, entering and
 * leaving joint consensus (Raft thesis §4.3), and rebuilding a configuration from a ConfState
 * (snapshots, restarts). Works on copies, so a rejected change leaves the tracker untouched.
 */
import { KvError } from '../util/errors.js';
import { assertNever } from '../util/assert.js';
import { Inflights } from './inflights.js';
import { Progress } from './progress.js';
import {
  cloneTrackerConfig,
  describeConfig,
  emptyTrackerConfig,
  isJoint,
  type ProgressMap,
  type ProgressTracker,
  type TrackerConfig,
} from './tracker.js';
import type { ConfChangeSingle, ConfChangeV2, ConfState, NodeId } from './types.js';

export interface ConfResult {
  config: TrackerConfig;
  progress: ProgressMap;
}

function fail(msg: string): never {
  throw new KvError('InvalidArgument', `raft: conf change rejected: ${msg}`);
}

/** An empty ConfChangeV2 with the auto transition asks to leave the joint configuration. */
export function isLeaveJoint(cc: ConfChangeV2): boolean {
  return cc.transition === 'auto' && cc.changes.length === 0;
}

/** Whether cc enters a joint configuration, and if so whether it leaves it automatically. */
export function enterJoint(cc: ConfChangeV2): { autoLeave: boolean } | undefined {
  // etcd uses joint consensus for anything but a single change with the auto transition.
  if (cc.transition !== 'auto' || cc.changes.length > 1) {
    switch (cc.transition) {
      case 'auto':
      case 'implicit':
        return { autoLeave: true };
      case 'explicit':
        return { autoLeave: false };
      default:
        return assertNever(cc.transition, 'conf change transition');
    }
  }
  return undefined;
}

export class Changer {
  constructor(
    private readonly tracker: Pick<ProgressTracker, 'config' | 'progress' | 'maxInflight' | 'maxInflightBytes'>,
    /** New nodes start probing from here. */
    private readonly lastIndex: number,
  ) {}

  /** Applies a conf change entry as the core does on applyConfChange. */
  apply(cc: ConfChangeV2): ConfResult {
    if (isLeaveJoint(cc)) return this.leaveJoint();
    const joint = enterJoint(cc);
    if (joint) return this.enterJoint(joint.autoLeave, cc.changes);
    return this.simple(cc.changes);
  }

  enterJoint(autoLeave: boolean, ccs: readonly ConfChangeSingle[]): ConfResult {
    const { config, progress } = this.copy();
    if (isJoint(config)) fail('config is already joint');
    if (config.voters[0].size === 0) fail("can't make a zero-voter config joint");
    for (const id of config.voters[0]) config.voters[1].add(id);
    this.applyChanges(config, progress, ccs);
    config.autoLeave = autoLeave;
    return checkAndReturn(config, progress);
  }

  leaveJoint(): ConfResult {
    const { config, progress } = this.copy();
    if (!isJoint(config)) fail("can't leave a non-joint config");
    for (const id of config.learnersNext) {
      config.learners.add(id);
      const pr = progress.get(id);
      if (pr) pr.isLearner = true;
    }
    config.learnersNext.clear();
    for (const id of config.voters[1]) {
      if (!config.voters[0].has(id) && !config.learners.has(id)) progress.delete(id);
    }
    config.voters[1].clear();
    config.autoLeave = false;
    return checkAndReturn(config, progress);
  }

  /** At most one voter may change without joint consensus (Raft thesis §4.1). */
  simple(ccs: readonly ConfChangeSingle[]): ConfResult {
    const { config, progress } = this.copy();
    if (isJoint(config)) fail("can't apply simple config change in joint config");
    const before = new Set(config.voters[0]);
    this.applyChanges(config, progress, ccs);
    let diff = 0;
    for (const id of before) if (!config.voters[0].has(id)) diff++;
    for (const id of config.voters[0]) if (!before.has(id)) diff++;
    if (diff > 1) fail('more than one voter changed without entering joint config');
    return checkAndReturn(config, progress);
  }

  private copy(): ConfResult {
    const progress: ProgressMap = new Map();
    for (const [id, pr] of this.tracker.progress) progress.set(id, pr.clone());
    return { config: cloneTrackerConfig(this.tracker.config), progress };
  }

  private applyChanges(config: TrackerConfig, progress: ProgressMap, ccs: readonly ConfChangeSingle[]): void {
    for (const cc of ccs) {
      if (cc.nodeId === 0) continue; // etcd ignores node 0 (used by some callers as a no-op)
      switch (cc.type) {
        case 'addNode':
          this.makeVoter(config, progress, cc.nodeId);
          break;
        case 'addLearnerNode':
          this.makeLearner(config, progress, cc.nodeId);
          break;
        case 'removeNode':
          remove(config, progress, cc.nodeId);
          break;
        case 'updateNode':
          break;
        default:
          assertNever(cc.type, 'conf change type');
      }
    }
    if (config.voters[0].size === 0) fail('removed all voters');
  }

  private makeVoter(config: TrackerConfig, progress: ProgressMap, id: NodeId): void {
    const pr = progress.get(id);
    if (!pr) {
      this.initProgress(config, progress, id, false);
      return;
    }
    pr.isLearner = false;
    config.learners.delete(id);
    config.learnersNext.delete(id);
    config.voters[0].add(id);
  }

  /**
   * A voter of the outgoing config cannot become a learner before the joint config is left
   * (it would be a voter and a learner at once): it goes to learnersNext instead.
   */
  private makeLearner(config: TrackerConfig, progress: ProgressMap, id: NodeId): void {
    const pr = progress.get(id);
    if (!pr) {
      this.initProgress(config, progress, id, true);
      return;
    }
    if (pr.isLearner) return;
    remove(config, progress, id);
    progress.set(id, pr);
    if (config.voters[1].has(id)) {
      config.learnersNext.add(id);
    } else {
      pr.isLearner = true;
      config.learners.add(id);
    }
  }

  private initProgress(config: TrackerConfig, progress: ProgressMap, id: NodeId, isLearner: boolean): void {
    if (isLearner) config.learners.add(id);
    else config.voters[0].add(id);
    const pr = new Progress(
      Math.max(this.lastIndex, 1),
      new Inflights(this.tracker.maxInflight, this.tracker.maxInflightBytes),
      isLearner,
    );
    // A new node counts as active so CheckQuorum does not depose the leader right away.
    pr.recentActive = true;
    progress.set(id, pr);
  }
}

function remove(config: TrackerConfig, progress: ProgressMap, id: NodeId): void {
  if (!progress.has(id)) return;
  config.voters[0].delete(id);
  config.learners.delete(id);
  config.learnersNext.delete(id);
  // A voter of the outgoing config keeps its progress until the joint config is left.
  if (!config.voters[1].has(id)) progress.delete(id);
}

function checkAndReturn(config: TrackerConfig, progress: ProgressMap): ConfResult {
  checkInvariants(config, progress);
  return { config, progress };
}

function checkInvariants(config: TrackerConfig, progress: ProgressMap): void {
  const bad = (why: string): never => fail(`${why} in ${describeConfig(config)}`);
  for (const set of [config.voters[0], config.voters[1], config.learners, config.learnersNext]) {
    for (const id of set) if (!progress.has(id)) bad(`no progress for ${id}`);
  }
  for (const id of config.learnersNext) {
    if (!config.voters[1].has(id)) bad(`${id} is in learnersNext but not in the outgoing voters`);
    if (progress.get(id)?.isLearner) bad(`${id} is in learnersNext but already marked as learner`);
  }
  for (const id of config.learners) {
    if (config.voters[1].has(id) || config.voters[0].has(id)) bad(`${id} is a learner and a voter`);
    if (!progress.get(id)?.isLearner) bad(`${id} is a learner but not marked as one`);
  }
  if (!isJoint(config)) {
    if (config.learnersNext.size > 0) bad('learnersNext outside a joint config');
    if (config.autoLeave) bad('autoLeave outside a joint config');
  }
}

/**
 * Rebuilds the configuration a ConfState describes by replaying it as changes on an empty
 * tracker (etcd `confchange.Restore`): the outgoing voters first, then entering the joint
 * config with the incoming voters and learners.
 */
export function restoreConfig(
  tracker: Pick<ProgressTracker, 'maxInflight' | 'maxInflightBytes'>,
  lastIndex: number,
  cs: ConfState,
): ConfResult {
  let state: ConfResult = { config: emptyTrackerConfig(), progress: new Map() };
  const step = (f: (c: Changer) => ConfResult): void => {
    state = f(new Changer({ ...tracker, config: state.config, progress: state.progress }, lastIndex));
  };
  const add = (nodeId: NodeId): ConfChangeSingle => ({ type: 'addNode', nodeId });
  const addLearner = (nodeId: NodeId): ConfChangeSingle => ({ type: 'addLearnerNode', nodeId });
  if (cs.votersOutgoing.length === 0) {
    for (const id of cs.voters) step((c) => c.simple([add(id)]));
    for (const id of cs.learners) step((c) => c.simple([addLearner(id)]));
  } else {
    for (const id of cs.votersOutgoing) step((c) => c.simple([add(id)]));
    const incoming: ConfChangeSingle[] = [
      ...cs.votersOutgoing.map((nodeId): ConfChangeSingle => ({ type: 'removeNode', nodeId })),
      ...cs.voters.map(add),
      ...cs.learners.map(addLearner),
      ...cs.learnersNext.map(addLearner),
    ];
    step((c) => c.enterJoint(cs.autoLeave, incoming));
  }
  return state;
}

