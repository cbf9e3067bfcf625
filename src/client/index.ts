/** `cairn/client`: the HTTP client (etcd v3 gateway) with failover and resumable watches. */
export { Client, type ClientOptions, type Bytes } from './client.js';
export { TxnBuilder, compare, op } from './txn.js';
export { AppliedUnreadableError, OutcomeUnknownError } from './errors.js';
export { ConnectionError, type ConnectionFailure } from './connection-error.js';
export type { WatchBatch, ResumableWatchOptions } from './resumable-watch.js';
export type * from '../api/kv.js';
export { KvError, isKvError } from '../util/errors.js';
export type { TlsClientOptions } from '../util/tls-options.js';
