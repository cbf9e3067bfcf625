/**
 * A chaos run's watch streams on disk as JSON lines: a `{"watch":…}` line per stream (its record
 * without responses), then a `{"response":…}` line per response it got. An hour's streams hold
 * millions of events; `JSON.stringify` of them all exceeded V8's longest string (seed 3200 lost
 * its checks to that RangeError), so nothing here builds more than one response's text at once.
 */
import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { WatchResponseRecord, WatchStreamRecord } from '../checker/watch-history.js';

export function writeWatchStreams(path: string, streams: readonly WatchStreamRecord[]): void {
  const fd = openSync(path, 'w');
  try {
    for (const { responses, ...watch } of streams) {
      writeSync(fd, `${JSON.stringify({ watch })}\n`);
      for (const response of responses) writeSync(fd, `${JSON.stringify({ response })}\n`);
    }
  } finally {
    closeSync(fd);
  }
}

export async function readWatchStreams(path: string): Promise<WatchStreamRecord[]> {
  const out: Array<Omit<WatchStreamRecord, 'responses'> & { responses: WatchResponseRecord[] }> = [];
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    if (line === '') continue;
    const parsed = JSON.parse(line) as { watch?: Omit<WatchStreamRecord, 'responses'>; response?: WatchResponseRecord };
    if (parsed.watch !== undefined) out.push({ ...parsed.watch, responses: [] });
    else if (parsed.response !== undefined) {
      const last = out[out.length - 1];
      if (last === undefined) throw new Error(`${path}: a response before any watch`);
      last.responses.push(parsed.response);
    } else throw new Error(`${path}: a line that is neither a watch nor a response`);
  }
  return out;
}
