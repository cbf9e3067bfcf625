import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWatchStreams, writeWatchStreams } from './watch-file.js';
import type { WatchStreamRecord } from '../checker/watch-history.js';

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('watch streams file', () => {
  it('reads back every stream and response in order, a line per response', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cairn-watch-file-'));
    const streams = [
      { client: 0, request: { key: 'a' }, createdRevision: 3, responses: [{ revision: 4, events: [{ type: 'PUT', key: 'a', value: 'x', revision: 4 }] }, { revision: 5, events: [] }] },
      { client: 1, request: { key: 'b', prefix: true }, responses: [] },
      { client: 2, request: { key: 'c' }, responses: [{ revision: 9, events: [{ type: 'DELETE', key: 'c', revision: 9 }] }] },
    ] as unknown as WatchStreamRecord[];
    const path = join(dir, 'watches.jsonl');
    writeWatchStreams(path, streams);
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(3 + 3);
    expect(await readWatchStreams(path)).toEqual(streams);
  });
});
