/**
 * Simulated watch clients: one per member slot, watching every key from revision 1 on that
 * member. When the member crashes the stream ends, and the client resumes on the restarted
 * member from the revision after the last event it saw — as a resumable client would. Every
 * stream is recorded for the six watch guarantees (test/checker/watch-guarantees.ts).
 */
import type { WatchStream } from '../../src/store/watch-stream.js';
import { utf8 } from '../../src/util/bytes.js';
import { WatchRecorder } from '../checker/watch-recorder.js';
import type { World } from './world.js';

export interface SimWatchers {
  readonly recorder: WatchRecorder;
  readonly done: Promise<void>[];
  /** Ends every open stream (the run is over). */
  close(): void;
}

export function runWatchers(world: World, until: () => boolean): SimWatchers {
  const recorder = new WatchRecorder();
  const open = new Set<WatchStream>();
  const sleep = (ms: number) => new Promise<void>((r) => world.clock.setTimeout(r, ms));
  const watcher = async (slot: number): Promise<void> => {
    let next = 1;
    while (!until()) {
      const member = world.members[slot]?.member;
      if (member === undefined) {
        await sleep(20);
        continue;
      }
      let stream: WatchStream;
      try {
        stream = member.newWatchStream();
      } catch {
        await sleep(20);
        continue;
      }
      open.add(stream);
      stream.watch({ key: utf8('k'), rangeEnd: utf8('l'), startRevision: next });
      const id = recorder.open(2000 + slot, { key: 'k', rangeEnd: 'l', startRevision: next });
      try {
        for await (const r of stream) {
          if (r.canceled) break;
          if (r.created || r.events.length === 0) continue;
          recorder.storeResponse(id, r.events, r.headerRevision, r.fragment ? { fragment: true } : {});
          next = (r.events[r.events.length - 1]?.kv.modRevision ?? next - 1) + 1;
        }
      } catch {
        // the member went away mid-stream: resume from `next`
      } finally {
        open.delete(stream);
        stream.close();
      }
      await sleep(5);
    }
  };
  const done = world.members.map((_, slot) => watcher(slot));
  return {
    recorder,
    done,
    close: () => {
      for (const s of open) s.close();
    },
  };
}
