/**
 * Compact one-line renderings of entries and messages (in the spirit of etcd-io/raft
 * `util.go` DescribeMessage), used by the scenario tests and for debugging simulations.
 */
import { assertNever } from '../util/assert.js';
import { decodeConfChange } from './confchange-codec.js';
import type { Message } from './messages.js';
import type { Ready } from './ready.js';
import type { ConfChangeV2, ConfState, Entry, Snapshot } from './types.js';

function printable(b: Uint8Array): string {
  for (const x of b) if (x < 0x20 || x > 0x7e) return `0x${[...b].map((y) => y.toString(16).padStart(2, '0')).join('')}`;
  return JSON.stringify(new TextDecoder().decode(b));
}

export function describeConfChange(cc: ConfChangeV2): string {
  const letter = { addNode: 'v', removeNode: 'r', updateNode: 'u', addLearnerNode: 'l' } as const;
  const parts = cc.changes.map((c) => `${letter[c.type]}${c.nodeId}`);
  if (cc.transition !== 'auto') parts.push(`(${cc.transition})`);
  return parts.length === 0 ? '(leave joint)' : parts.join(' ');
}

export function describeEntry(e: Entry): string {
  switch (e.type) {
    case 'normal':
      return `${e.term}/${e.index} EntryNormal ${printable(e.data)}`;
    case 'confChangeV2': {
      let text: string;
      try {
        text = describeConfChange(decodeConfChange(e.data));
      } catch {
        text = `<undecodable ${printable(e.data)}>`;
      }
      return `${e.term}/${e.index} EntryConfChangeV2 ${text}`;
    }
    case 'confChange':
      return `${e.term}/${e.index} EntryConfChange ${printable(e.data)}`;
    default:
      return assertNever(e.type, 'entry type');
  }
}

const ids = (xs: readonly number[]): string => `[${xs.join(' ')}]`;

export function describeConfState(cs: ConfState): string {
  let s = `Voters:${ids(cs.voters)}`;
  if (cs.votersOutgoing.length > 0) s += ` VotersOutgoing:${ids(cs.votersOutgoing)}`;
  if (cs.learners.length > 0) s += ` Learners:${ids(cs.learners)}`;
  if (cs.learnersNext.length > 0) s += ` LearnersNext:${ids(cs.learnersNext)}`;
  if (cs.autoLeave) s += ' AutoLeave:true';
  return s;
}

export function describeSnapshot(s: Snapshot): string {
  return `Index:${s.metadata.index} Term:${s.metadata.term} ConfState:${describeConfState(s.metadata.confState)}`;
}

const entries = (es: readonly Entry[]): string => `Entries:[${es.map(describeEntry).join(', ')}]`;
const ctx = (c: Uint8Array): string => (c.byteLength > 0 ? ` Context:${printable(c)}` : '');

export function describeMessage(m: Message): string {
  const head = `${m.from}->${m.to} ${m.type} Term:${m.term}`;
  switch (m.type) {
    case 'MsgApp':
      return `${head} Log:${m.logTerm}/${m.index} Commit:${m.commit}${m.entries.length > 0 ? ` ${entries(m.entries)}` : ''}`;
    case 'MsgAppResp':
      return m.reject
        ? `${head} Index:${m.index} Rejected (Hint: ${m.rejectHint}/${m.logTerm})`
        : `${head} Index:${m.index}`;
    case 'MsgVote':
    case 'MsgPreVote':
      return `${head} Log:${m.logTerm}/${m.index}${m.transfer ? ' Transfer' : ''}`;
    case 'MsgVoteResp':
    case 'MsgPreVoteResp':
      return `${head}${m.reject ? ' Rejected' : ''}`;
    case 'MsgProp':
      return `${head} ${entries(m.entries)}`;
    case 'MsgSnap':
      return `${head} Snapshot: ${describeSnapshot(m.snapshot)}`;
    case 'MsgHeartbeat':
      return `${head} Commit:${m.commit}${ctx(m.context)}`;
    case 'MsgHeartbeatResp':
    case 'MsgReadIndex':
      return `${head}${ctx(m.context)}`;
    case 'MsgReadIndexResp':
      return `${head} Index:${m.index}${ctx(m.context)}`;
    case 'MsgSnapStatus':
      return `${head}${m.reject ? ' Rejected' : ''}`;
    case 'MsgHup':
    case 'MsgBeat':
    case 'MsgCheckQuorum':
    case 'MsgUnreachable':
    case 'MsgTransferLeader':
    case 'MsgTimeoutNow':
    case 'MsgForgetLeader':
      return head;
    default:
      return assertNever(m, 'message');
  }
}

const STATE_NAMES = { follower: 'StateFollower', candidate: 'StateCandidate', leader: 'StateLeader', preCandidate: 'StatePreCandidate' } as const;

/** Multi-line description of a Ready, one fact per line, never an empty line. */
export function describeReady(rd: Ready): string[] {
  const out: string[] = [`Ready MustSync=${rd.mustSync}:`];
  if (rd.softState) out.push(`Lead:${rd.softState.lead} State:${STATE_NAMES[rd.softState.raftState]}`);
  if (rd.hardState) out.push(`HardState Term:${rd.hardState.term} Vote:${rd.hardState.vote} Commit:${rd.hardState.commit}`);
  if (rd.readStates.length > 0) {
    out.push(`ReadStates:`, ...rd.readStates.map((r) => `  Index:${r.index}${ctx(r.requestCtx)}`));
  }
  if (rd.entries.length > 0) out.push('Entries:', ...rd.entries.map((e) => `  ${describeEntry(e)}`));
  if (rd.snapshot) out.push(`Snapshot ${describeSnapshot(rd.snapshot)}`);
  if (rd.committedEntries.length > 0) {
    out.push('CommittedEntries:', ...rd.committedEntries.map((e) => `  ${describeEntry(e)}`));
  }
  if (rd.messages.length > 0) out.push('Messages:', ...rd.messages.map((m) => `  ${describeMessage(m)}`));
  return out;
}

export function stateName(s: keyof typeof STATE_NAMES): string {
  return STATE_NAMES[s];
}
