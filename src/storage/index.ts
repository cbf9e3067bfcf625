/** The storage layer's public surface (DESIGN.md: storage): a member's data dir, its WAL and backend. */
export type { Backend, BackendOp, BackendSnapshot, BucketName, IterateOptions, WriteOptions } from './backend.js';
export { BUCKETS } from './backend.js';
export { MemoryBackend } from './memory-backend.js';
export { KvBackend, LevelBackend } from './kv-backend.js';
export type { Wal, WalState, SaveOptions } from './wal.js';
export { LevelWal, type RepairResult } from './level-wal.js';
export { MemoryWal } from './memory-wal.js';
export { MemoryKv, type PowerLossMode } from './memory-kv.js';
export { MemoryKvDir } from './memory-kv-dir.js';
export { openDataDir, repairWal, LevelDataDir, MemoryDataDir, type DataDir, type InstallStep } from './data-dir.js';
