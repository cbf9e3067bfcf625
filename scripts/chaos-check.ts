/**
 * `npx tsx scripts/chaos-check.ts <run dir> [...]`: checks the history a kept chaos run wrote
 * (history.json, watches.jsonl) again — linearizability of every operation and the watch
 * guarantees of every stream. A run that ended on a harness error before its own checks (seed
 * 2600) can still be judged this way; what it cannot get is the read-back after healing, so the
 * acknowledged-writes check is reported as not run. Exit code 1 if any history is illegal.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkKvHistory } from '../test/checker/check-kv.js';
import { historyFromJSON } from '../test/checker/history.js';
import type { KvInput, KvOutput } from '../test/checker/kv-model.js';
import { validateWatches } from '../test/checker/watch-guarantees.js';
import type { WatchStreamRecord } from '../test/checker/watch-history.js';
import { readWatchStreams } from '../test/chaos/watch-file.js';

/** watches.jsonl (runs since session 7), else the older single watches.json, else none. */
async function keptStreams(dir: string): Promise<WatchStreamRecord[] | undefined> {
  if (existsSync(join(dir, 'watches.jsonl'))) return readWatchStreams(join(dir, 'watches.jsonl'));
  if (existsSync(join(dir, 'watches.json'))) return JSON.parse(readFileSync(join(dir, 'watches.json'), 'utf8')) as WatchStreamRecord[];
  return undefined;
}

let bad = 0;
for (const dir of process.argv.slice(2)) {
  const ops = historyFromJSON<KvInput, KvOutput>(readFileSync(join(dir, 'history.json'), 'utf8'));
  const streams = await keptStreams(dir);
  const started = Date.now();
  const kv = checkKvHistory(ops, { maxMillis: 300_000 });
  const watches = streams === undefined ? undefined : validateWatches(streams);
  const events = (streams ?? []).reduce((s, w) => s + w.responses.reduce((t, r) => t + r.events.length, 0), 0);
  const ok = kv.result === 'ok' && (watches?.violations.length ?? 0) === 0;
  if (!ok) bad++;
  console.log(`${dir}: ${ok ? 'PASS' : 'FAIL'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`  operations ${ops.length}: linearizability ${kv.result}${kv.result === 'illegal' ? `\n${kv.text}` : ''}`);
  if (streams === undefined || watches === undefined) console.log('  watch streams: none kept, the watch guarantees were not checked');
  else console.log(`  watch streams ${streams.length}, events ${events}: ${watches.violations.length === 0 ? 'guarantees hold' : `violations:\n${watches.text}`}`);
  console.log('  acknowledged writes against a read-back after healing: not run (the run kept no read-back)');
}
process.exit(bad > 0 ? 1 : 0);
