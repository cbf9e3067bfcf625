/** What the application must do next (etcd-io/raft `Ready`). */
import type { Message } from './messages.js';
import type { Entry, HardState, ReadState, Snapshot, SoftState } from './types.js';

export interface Ready {
  /** Only when changed. */
  softState?: SoftState;
  /** Only when changed; persist before sending messages. */
  hardState?: HardState;
  readStates: ReadState[];
  /** To append to stable storage (replacing any conflicting suffix). */
  entries: Entry[];
  /** To persist and apply (a follower catching up). */
  snapshot?: Snapshot;
  /** To apply, in order, after persisting this Ready. */
  committedEntries: Entry[];
  /** To send AFTER entries, hard state and snapshot are persisted. */
  messages: Message[];
  /** Whether the write must be synced (entries, a snapshot, or a term/vote change; etcd MustSync). */
  mustSync: boolean;
}
