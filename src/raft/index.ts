/** `cairn/raft`: the consensus core for your own state machine. */
export { RawNode } from './rawnode.js';
export { MemoryStorage, type Storage, type MemoryStorageOptions } from './storage.js';
export type { RaftConfig } from './config.js';
export type { Ready } from './ready.js';
export type { Status, ProgressStatus } from './status.js';
export type { ProgressState } from './progress.js';
export type { ReadOnlyOption } from './read-only.js';
export { encodeConfChange, decodeConfChange } from './confchange-codec.js';
export { describeMessage, describeEntry, describeReady } from './describe.js';
export * from './types.js';
export * from './messages.js';
export { KvError, isKvError } from '../util/errors.js';
