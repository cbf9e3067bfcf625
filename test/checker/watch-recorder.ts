/** Collects watch streams as a client sees them, for `validateWatches`. */
import { assert } from '../../src/util/assert.js';
import type { Event } from '../../src/store/types.js';
import { watchEventFromStore, type WatchRequestRecord, type WatchResponseRecord, type WatchStreamRecord } from './watch-history.js';

interface OpenWatch {
  client: number;
  request: WatchRequestRecord;
  createdRevision?: number;
  responses: WatchResponseRecord[];
}

export class WatchRecorder {
  private readonly watches: OpenWatch[] = [];

  /** A watch was created; `createdRevision` is the created reply's header revision. */
  open(client: number, request: WatchRequestRecord, createdRevision?: number): number {
    this.watches.push({ client, request, responses: [], ...(createdRevision === undefined ? {} : { createdRevision }) });
    return this.watches.length - 1;
  }

  response(watch: number, response: WatchResponseRecord): void {
    const w = this.watches[watch];
    assert(w !== undefined, () => `watch ${watch} was never opened`);
    w.responses.push(response);
  }

  /** Convenience for store-level events (bytes) as the watch hub delivers them. */
  storeResponse(watch: number, events: readonly Event[], headerRevision: number, flags: Omit<WatchResponseRecord, 'events' | 'headerRevision'> = {}): void {
    this.response(watch, { events: events.map(watchEventFromStore), headerRevision, ...flags });
  }

  streams(): WatchStreamRecord[] {
    return this.watches.map((w) => ({ ...w, responses: [...w.responses] }));
  }
}
