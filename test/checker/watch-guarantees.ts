/**
 * etcd's watch guarantees (etcd.io "API guarantees", validated by etcd's robustness suite in
 * `tests/robustness/validate/watch.go`), checked over recorded watch streams:
 *  - Ordered: event revisions never go back within a watch;
 *  - Unique: no (revision, key) twice within a watch;
 *  - Atomic: a revision's events never split across responses (fragments of one response,
 *    when the watch asked for them, count as one);
 *  - Bookmarkable: after a progress notification at R no event ≤ R arrives, and every event
 *    ≤ R the watch should see has arrived before it;
 *  - Reliable: between the first and last revision a watch delivered, it got exactly the
 *    history's events in its range (no gaps, nothing invented or altered);
 *  - Resumable: a watch from revision S starts with the first event in its range at ≥ S.
 * The history is the store's committed events when the caller has them (the simulator), else
 * the union of what all watchers saw (as etcd robustness does).
 */
import {
  describeEvent,
  eventId,
  matchesRequest,
  mergeWatchHistory,
  sameEvent,
  type WatchEventRecord,
  type WatchResponseRecord,
  type WatchStreamRecord,
} from './watch-history.js';

export type WatchGuarantee = 'ordered' | 'unique' | 'atomic' | 'bookmarkable' | 'reliable' | 'resumable' | 'history';

export interface WatchViolation {
  readonly guarantee: WatchGuarantee;
  /** Index of the watch in the input, -1 for the history itself. */
  readonly stream: number;
  readonly client: number;
  readonly revision?: number;
  readonly detail: string;
}

export interface WatchReport {
  readonly violations: readonly WatchViolation[];
  /** The history the watches were judged against. */
  readonly history: readonly WatchEventRecord[];
  readonly text: string;
}

/** A response as the client assembles it: fragments joined. */
interface LogicalResponse {
  events: WatchEventRecord[];
  headerRevision: number;
  progressNotify: boolean;
  pieces: number;
}

type Report = (guarantee: WatchGuarantee, detail: string, revision?: number) => void;

function assemble(stream: WatchStreamRecord, report: Report): LogicalResponse[] {
  const out: LogicalResponse[] = [];
  let open: LogicalResponse | undefined;
  for (const r of stream.responses) {
    if (r.fragment === true && stream.request.fragment !== true) {
      report('atomic', `a response was fragmented although the watch did not ask for fragments (header ${r.headerRevision})`);
    }
    const into: LogicalResponse = open ?? { events: [], headerRevision: r.headerRevision, progressNotify: false, pieces: 0 };
    into.events.push(...r.events);
    into.pieces++;
    into.progressNotify = isProgressNotify(r);
    open = r.fragment === true ? into : undefined;
    if (open === undefined) out.push(into);
  }
  if (open !== undefined) report('atomic', `the watch ended inside a fragmented response (${open.pieces} pieces, last flagged fragment)`);
  return out;
}

function isProgressNotify(r: WatchResponseRecord): boolean {
  return r.progressNotify === true && r.events.length === 0 && r.canceled !== true;
}

function checkOrderedUniqueAtomic(responses: readonly LogicalResponse[], report: Report): void {
  let last = 0;
  let lastResponseEnd = 0;
  const seen = new Set<string>();
  for (const r of responses) {
    const first = r.events[0];
    if (first !== undefined && first.revision === lastResponseEnd) {
      report('atomic', `revision ${first.revision} split across responses (it ended the previous one and starts this one)`, first.revision);
    }
    for (const e of r.events) {
      if (e.revision < last) report('ordered', `${describeEvent(e)} arrived after an event at revision ${last}`, e.revision);
      last = Math.max(last, e.revision);
      if (seen.has(eventId(e))) report('unique', `${describeEvent(e)} delivered twice`, e.revision);
      seen.add(eventId(e));
    }
    const end = r.events[r.events.length - 1];
    if (end !== undefined) lastResponseEnd = end.revision;
  }
}

/** Matching history events at revisions in [from, to], by id. */
function expectedBetween(history: readonly WatchEventRecord[], stream: WatchStreamRecord, from: number, to: number): WatchEventRecord[] {
  return history.filter((e) => e.revision >= from && e.revision <= to && matchesRequest(stream.request, e));
}

function startOf(stream: WatchStreamRecord): number | undefined {
  const s = stream.request.startRevision ?? 0;
  if (s > 0) return s;
  return stream.createdRevision === undefined ? undefined : stream.createdRevision + 1;
}

function checkBookmarkable(stream: WatchStreamRecord, responses: readonly LogicalResponse[], history: readonly WatchEventRecord[], report: Report): void {
  let bookmark = 0;
  const delivered = new Set<string>();
  let firstDelivered: number | undefined;
  for (const r of responses) {
    for (const e of r.events) {
      if (e.revision <= bookmark) {
        report('bookmarkable', `${describeEvent(e)} arrived after a progress notification at revision ${bookmark}`, e.revision);
      }
      delivered.add(eventId(e));
      firstDelivered ??= e.revision;
    }
    if (!r.progressNotify) continue;
    bookmark = Math.max(bookmark, r.headerRevision);
    const from = startOf(stream) ?? firstDelivered;
    if (from === undefined) continue;
    const missing = expectedBetween(history, stream, from, r.headerRevision).filter((e) => !delivered.has(eventId(e)));
    if (missing.length > 0) {
      report(
        'bookmarkable',
        `progress notification at revision ${r.headerRevision} before ${missing.length} event(s) it covers: ${missing.slice(0, 5).map(describeEvent).join(', ')}`,
        missing[0]?.revision,
      );
    }
  }
}

function checkReliable(stream: WatchStreamRecord, history: readonly WatchEventRecord[], report: Report): void {
  const got = stream.responses.flatMap((r) => r.events);
  const first = got[0];
  const last = got[got.length - 1];
  if (first === undefined || last === undefined) return;
  const expected = expectedBetween(history, stream, first.revision, last.revision);
  const gotById = new Map(got.map((e) => [eventId(e), e]));
  const expectedById = new Map(expected.map((e) => [eventId(e), e]));
  const missing = expected.filter((e) => !gotById.has(eventId(e)));
  if (missing.length > 0) {
    report(
      'reliable',
      `${missing.length} event(s) missing between revisions ${first.revision} and ${last.revision}: ${missing.slice(0, 5).map(describeEvent).join(', ')}`,
      missing[0]?.revision,
    );
  }
  for (const e of got) {
    const want = expectedById.get(eventId(e));
    if (want === undefined) report('reliable', `${describeEvent(e)} is not in the history for this watch`, e.revision);
    else if (!sameEvent(want, e)) {
      report('reliable', `${describeEvent(e)} differs from the committed ${describeEvent(want)}`, e.revision);
    }
  }
}

function checkResumable(stream: WatchStreamRecord, history: readonly WatchEventRecord[], report: Report): void {
  const start = stream.request.startRevision ?? 0;
  const got = stream.responses.flatMap((r) => r.events);
  const first = got[0];
  if (start <= 0 || first === undefined) return;
  if (first.revision < start) {
    report('resumable', `watch from revision ${start} delivered ${describeEvent(first)} from before it`, first.revision);
    return;
  }
  const want = history.find((e) => e.revision >= start && matchesRequest(stream.request, e));
  if (want !== undefined && !sameEvent(want, first)) {
    report('resumable', `watch from revision ${start} began with ${describeEvent(first)}, not with ${describeEvent(want)}`, want.revision);
  }
}

function checkHistory(history: readonly WatchEventRecord[], report: Report): void {
  for (let i = 1; i < history.length; i++) {
    const a = history[i - 1] as WatchEventRecord;
    const b = history[i] as WatchEventRecord;
    if (b.revision < a.revision) report('history', `history goes back from ${a.revision} to ${b.revision}`, b.revision);
  }
}

/**
 * Checks every guarantee for every watch and returns all violations. Pass `history` (the
 * store's committed events, e.g. `watchHistoryFromCommits`) when available; without it the
 * watchers' merged view is used, which cannot reveal an event no watcher saw.
 */
export function validateWatches(streams: readonly WatchStreamRecord[], opts: { history?: readonly WatchEventRecord[] } = {}): WatchReport {
  const violations: WatchViolation[] = [];
  let history = opts.history;
  const historyReport: Report = (guarantee, detail, revision) =>
    violations.push({ guarantee, stream: -1, client: -1, detail, ...(revision === undefined ? {} : { revision }) });
  if (history === undefined) {
    const merged = mergeWatchHistory(streams);
    history = merged.history;
    for (const c of merged.conflicts) historyReport('history', c.detail, c.revision);
  }
  checkHistory(history, historyReport);
  for (const [i, stream] of streams.entries()) {
    const report: Report = (guarantee, detail, revision) =>
      violations.push({ guarantee, stream: i, client: stream.client, detail, ...(revision === undefined ? {} : { revision }) });
    const responses = assemble(stream, report);
    checkOrderedUniqueAtomic(responses, report);
    checkBookmarkable(stream, responses, history, report);
    checkReliable(stream, history, report);
    checkResumable(stream, history, report);
  }
  const text = violations.map((v) => `${v.guarantee}: watch ${v.stream} (client ${v.client}): ${v.detail}`).join('\n');
  return { violations, history, text: violations.length === 0 ? 'watch guarantees hold' : text };
}
