import { walConformance } from './wal-conformance.js';
import { memoryHarness } from './harness.js';

walConformance('MemoryWal', async () => memoryHarness());
