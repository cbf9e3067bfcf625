import { walConformance } from './wal-conformance.js';
import { levelHarness } from './harness.js';

walConformance('LevelWal', levelHarness);
