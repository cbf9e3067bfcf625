/**
 * Fewer, larger messages per Ready. Under load a leader steps many proposals between two Readies,
 * and each one sends every follower a one-entry MsgApp; each ack that moves the commit index
 * sends every follower an empty MsgApp; and a follower answers each MsgApp it steps. A Ready
 * can hold dozens of messages to one peer that together say what one would. Every message costs
 * an encode, a decode, a validation and a step on both sides, so this merges them before they
 * leave, keeping each peer's messages in their order:
 *
 * - consecutive MsgApps to one peer, where the second continues the first's log exactly
 *   (its prevLogIndex/prevLogTerm are the first's last entry) in the same term, become one
 *   MsgApp with both entry lists and the later commit index, up to maxSizePerMsg. A follower
 *   stepping the merged message ends in the same state as stepping the two in order: the same
 *   consistency check at the first's prev entry, the same entries appended, and a commit of
 *   min(commit, last new index) that is the second's.
 * - consecutive accepting MsgAppResps to one peer in the same term collapse into the last, when
 *   it acknowledges at least as far: the leader's progress takes the highest acked index, so
 *   an earlier, lower ack tells it nothing the later one does not. Rejections are never merged.
 *
 * Only a peer's last queued message is ever merged into, so no message overtakes another to the
 * same peer; messages to different peers are independent streams anyway. Raft's safety never
 * rests on message boundaries (any message may be lost or repeated); this keeps the liveness too.
 */
import { entriesSize } from './entries.js';
import type { Message, MessageOf } from './messages.js';
import type { Entry, NodeId } from './types.js';

type MsgApp = MessageOf<'MsgApp'>;
type MsgAppResp = MessageOf<'MsgAppResp'>;

export function coalesceMessages(messages: Message[], maxSizePerMsg: number): Message[] {
  if (messages.length < 2) return messages;
  const out: Message[] = [];
  /** Entry bytes of each MsgApp in `out` (kept, so a long merge is not quadratic). */
  const bytes: number[] = [];
  /** Whether the MsgApp at an index of `out` has an entries array of our own, to append to in place. */
  const owned: boolean[] = [];
  /** Whether the MsgApp at an index of `out` may be merged into (see `mayStartRun`). */
  const open: boolean[] = [];
  /** Where each peer's last message sits in `out`. */
  const lastTo = new Map<NodeId, number>();
  for (const m of messages) {
    const at = lastTo.get(m.to);
    const prev = at === undefined ? undefined : (out[at] as Message);
    if (at !== undefined && prev !== undefined && prev.from === m.from && prev.term === m.term) {
      if (prev.type === 'MsgApp' && m.type === 'MsgApp') {
        const added = entriesSize(m.entries);
        if (open[at] === true && continues(prev, m) && (prev.entries.length === 0 || m.entries.length === 0 || (bytes[at] as number) + added <= maxSizePerMsg)) {
          const merged = appendTo(prev, m, owned[at] === true);
          out[at] = merged.message;
          owned[at] = merged.owned;
          bytes[at] = (bytes[at] as number) + added;
          continue;
        }
      } else if (prev.type === 'MsgAppResp' && m.type === 'MsgAppResp' && supersedes(prev, m)) {
        out[at] = m;
        continue;
      }
    }
    lastTo.set(m.to, out.length);
    bytes[out.length] = m.type === 'MsgApp' ? entriesSize(m.entries) : 0;
    owned[out.length] = false;
    open[out.length] = m.type === 'MsgApp' && mayStartRun(m);
    out.push(m);
  }
  return out;
}

/**
 * A follower drops a whole MsgApp whose prevLogIndex is below its commit index (it answers with
 * its commit instead). Merged into such a message, entries the follower would have taken from a
 * later one would be dropped with it. The leader's commit index bounds what this leader has told
 * the follower, so a message that starts at or above the commit it carries is never dropped for
 * that reason, nor is anything merged into it. (A follower told a higher commit by an earlier
 * leader could still drop it: then the merge costs what losing those messages costs, a resend.)
 */
function mayStartRun(m: MsgApp): boolean {
  return m.index >= m.commit;
}

/** Whether `b` starts where `a` ends: its prevLogIndex/prevLogTerm are `a`'s last entry. */
function continues(a: MsgApp, b: MsgApp): boolean {
  const aLast = a.entries[a.entries.length - 1] as Entry | undefined;
  return b.index === a.index + a.entries.length && b.logTerm === (aLast === undefined ? a.logTerm : aLast.term);
}

/**
 * `a` then `b` as one MsgApp. `owned` says whether its entries array was made here: only such an
 * array is appended to in place (the others may be slices the log still holds).
 */
function appendTo(a: MsgApp, b: MsgApp, ownsEntries: boolean): { message: MsgApp; owned: boolean } {
  const commit = Math.max(a.commit, b.commit);
  if (b.entries.length === 0) return { message: commit === a.commit ? a : { ...a, commit }, owned: ownsEntries };
  if (ownsEntries) {
    for (const e of b.entries) (a.entries as Entry[]).push(e);
    return { message: commit === a.commit ? a : { ...a, commit }, owned: true };
  }
  if (a.entries.length === 0) return { message: { ...a, entries: b.entries, commit }, owned: false };
  return { message: { ...a, entries: a.entries.concat(b.entries), commit }, owned: true };
}

/** An accepting ack that reaches at least as far as the accepting ack before it says all it said. */
function supersedes(a: MsgAppResp, b: MsgAppResp): boolean {
  return !a.reject && !b.reject && b.index >= a.index;
}
