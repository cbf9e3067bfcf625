import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/util/bytes.js';
import type { Event } from '../../src/store/types.js';
import { validateWatches, type WatchGuarantee } from './watch-guarantees.js';
import { compareKeys } from './keys.js';
import {
  matchesRequest,
  watchHistoryFromCommits,
  type WatchEventRecord,
  type WatchRequestRecord,
  type WatchResponseRecord,
  type WatchStreamRecord,
} from './watch-history.js';

const put = (key: string, value: string, revision: number): WatchEventRecord => ({ type: 'PUT', key, value, revision });
const del = (key: string, revision: number): WatchEventRecord => ({ type: 'DELETE', key, revision });
const resp = (events: WatchEventRecord[], extra: Partial<WatchResponseRecord> = {}): WatchResponseRecord => ({
  events,
  headerRevision: Math.max(0, ...events.map((e) => e.revision)),
  ...extra,
});
const progress = (revision: number): WatchResponseRecord => ({ events: [], headerRevision: revision, progressNotify: true });
const all: WatchRequestRecord = { key: 'a', rangeEnd: '\0', startRevision: 2 };
const watch = (responses: WatchResponseRecord[], request: WatchRequestRecord = all, client = 1): WatchStreamRecord => ({
  client,
  request,
  responses,
});

// Committed history: rev 2 put a, rev 3 txn (put b, put c), rev 4 delete a, rev 5 put b, rev 6 put d.
const history: WatchEventRecord[] = [put('a', '1', 2), put('b', '1', 3), put('c', '1', 3), del('a', 4), put('b', '2', 5), put('d', '1', 6)];
const good = (): WatchStreamRecord =>
  watch([resp([put('a', '1', 2)]), resp([put('b', '1', 3), put('c', '1', 3)]), progress(3), resp([del('a', 4), put('b', '2', 5)]), progress(5)]);

const kinds = (streams: WatchStreamRecord[], h: WatchEventRecord[] | undefined = history): WatchGuarantee[] =>
  [...new Set(validateWatches(streams, h === undefined ? {} : { history: h }).violations.map((v) => v.guarantee))].sort();

describe('watch guarantees hold for a correct stream', () => {
  it('accepts a complete watch from revision 2, with and without the store history', () => {
    expect(validateWatches([good()], { history }).violations).toEqual([]);
    expect(validateWatches([good()]).violations).toEqual([]);
  });

  it('accepts a single-key watch, a prefix watch, filters and assembled fragments', () => {
    const onlyB = watch([resp([put('b', '1', 3)]), resp([put('b', '2', 5)])], { key: 'b', startRevision: 1 });
    const range = watch([resp([put('b', '1', 3), put('c', '1', 3)]), resp([put('b', '2', 5)])], { key: 'b', rangeEnd: 'd', startRevision: 3 });
    const noPut = watch([resp([del('a', 4)])], { key: 'a', rangeEnd: '\0', startRevision: 2, filters: ['NOPUT'] });
    const fragmented = watch([resp([put('b', '1', 3)], { fragment: true }), resp([put('c', '1', 3)]), resp([del('a', 4)])], {
      ...all,
      startRevision: 3,
      fragment: true,
    });
    expect(validateWatches([onlyB, range, noPut, fragmented], { history }).violations).toEqual([]);
  });

  it('matches ranges by byte order, as etcd does', () => {
    expect(matchesRequest({ key: 'a', rangeEnd: 'b' }, put('a\u00ff', 'x', 2))).toBe(true);
    expect(matchesRequest({ key: 'a', rangeEnd: 'b' }, put('b', 'x', 2))).toBe(false);
    expect(matchesRequest({ key: 'b', rangeEnd: '\0' }, put('a', 'x', 2))).toBe(false);
    expect(matchesRequest({ key: 'a' }, put('ab', 'x', 2))).toBe(false);
    // U+FF01 sorts below U+1F600 in UTF-8 bytes although its UTF-16 code unit is higher.
    expect(compareKeys('\uff01', '\u{1f600}')).toBeLessThan(0);
    expect(matchesRequest({ key: '\uff00', rangeEnd: '\u{1f600}' }, put('\uff01', 'x', 2))).toBe(true);
    expect(compareKeys('a', 'b')).toBeLessThan(0);
  });
});

describe('each violation is detected', () => {
  it('ordered: an event older than one already delivered', () => {
    const s = watch([resp([put('a', '1', 2)]), resp([put('b', '2', 5)]), resp([del('a', 4)])]);
    expect(kinds([s])).toContain('ordered');
    const v = validateWatches([s], { history }).violations.find((x) => x.guarantee === 'ordered');
    expect(v).toMatchObject({ stream: 0, client: 1, revision: 4 });
    expect(v?.detail).toContain('DELETE a @4 arrived after an event at revision 5');
  });

  it('unique: the same event twice', () => {
    const s = watch([resp([put('a', '1', 2)]), resp([put('a', '1', 2)])]);
    expect(kinds([s])).toEqual(['atomic', 'unique']);
  });

  it('atomic: one revision split across responses', () => {
    const s = watch([resp([put('a', '1', 2), put('b', '1', 3)]), resp([put('c', '1', 3)])]);
    expect(kinds([s])).toEqual(['atomic']);
  });

  it('atomic: fragments the watch did not ask for, and a fragment never finished', () => {
    const s = watch([resp([put('b', '1', 3)], { fragment: true }), resp([put('c', '1', 3)])], { ...all, startRevision: 3 });
    expect(kinds([s])).toEqual(['atomic']);
    const unfinished = watch([resp([put('b', '1', 3)], { fragment: true })], { ...all, startRevision: 3, fragment: true });
    expect(validateWatches([unfinished], { history }).text).toContain('ended inside a fragmented response');
  });

  it('bookmarkable: an event at or below a progress notification arrives after it', () => {
    const s = watch([resp([put('a', '1', 2)]), progress(3), resp([put('b', '1', 3), put('c', '1', 3)])]);
    expect(kinds([s])).toContain('bookmarkable');
  });

  it('bookmarkable: an event exactly at the notified revision, on a watch whose start is unknown', () => {
    const s = watch([progress(3), resp([put('b', '1', 3), put('c', '1', 3)])], { key: 'a', rangeEnd: '\0' });
    expect(kinds([s])).toEqual(['bookmarkable']);
  });

  it('bookmarkable: a progress notification before events it covers were delivered', () => {
    const s = watch([resp([put('a', '1', 2)]), progress(4)]);
    const v = validateWatches([s], { history }).violations;
    expect(v.map((x) => x.guarantee)).toEqual(['bookmarkable']);
    expect(v[0]?.detail).toContain('3 event(s)');
  });

  it('reliable: a gap in the middle of the delivered range', () => {
    const s = watch([resp([put('a', '1', 2)]), resp([del('a', 4)]), resp([put('b', '2', 5)])]);
    const v = validateWatches([s], { history }).violations;
    expect(v.map((x) => x.guarantee)).toEqual(['reliable']);
    expect(v[0]?.detail).toContain('2 event(s) missing between revisions 2 and 5: PUT b="1" @3, PUT c="1" @3');
  });

  it('reliable: a gap is also found from other watchers when the store history is not given', () => {
    const gap = watch([resp([put('a', '1', 2)]), resp([del('a', 4)])], all, 1);
    expect(kinds([good(), gap], undefined)).toEqual(['reliable']);
  });

  it('reliable: an event that was never committed, or with a different value', () => {
    const invented = watch([resp([put('b', '1', 3), put('c', '1', 3), put('z', '1', 3)])], { ...all, startRevision: 3 });
    expect(kinds([invented])).toEqual(['reliable']);
    expect(validateWatches([invented], { history }).text).toContain('PUT z="1" @3 is not in the history');
    expect(kinds([watch([resp([put('b', '1', 3), put('c', 'WRONG', 3)])], { ...all, startRevision: 3 })])).toEqual(['reliable']);
  });

  it('resumable: a watch from R that skips the first event at ≥ R, or starts before R', () => {
    const late = watch([resp([del('a', 4)]), resp([put('b', '2', 5)])], { ...all, startRevision: 3 });
    expect(kinds([late])).toEqual(['resumable']);
    const early = watch([resp([put('a', '1', 2)]), resp([put('b', '1', 3), put('c', '1', 3)])], { ...all, startRevision: 3 });
    expect(kinds([early])).toEqual(['resumable']);
  });

  it('history: watchers that disagree about an event', () => {
    const other = watch([resp([put('a', 'OTHER', 2)])], { key: 'a', startRevision: 2 }, 2);
    const v = validateWatches([good(), other]).violations;
    expect(v.some((x) => x.guarantee === 'history' && x.stream === -1)).toBe(true);
  });

  it('reports every violation of a badly broken stream at once', () => {
    const s = watch([
      resp([put('a', '1', 2), put('b', '1', 3)]),
      resp([put('c', '1', 3)]),
      progress(6),
      resp([put('b', '2', 5), put('b', '2', 5)]),
    ], { ...all, startRevision: 1 });
    expect(kinds([s])).toEqual(['atomic', 'bookmarkable', 'reliable', 'unique'].sort() as WatchGuarantee[]);
  });
});

describe('store adapters', () => {
  it('builds the history from committed store events', () => {
    const kv = (key: string, value: string, mod: number) => ({ key: utf8(key), value: utf8(value), createRevision: mod, modRevision: mod, version: 1, lease: 0 });
    const commits: Array<{ revision: number; events: Event[] }> = [
      { revision: 2, events: [{ type: 'PUT', kv: kv('a', '1', 2) }] },
      { revision: 3, events: [{ type: 'PUT', kv: kv('b', '1', 3) }, { type: 'PUT', kv: kv('c', '1', 3) }] },
      { revision: 4, events: [{ type: 'DELETE', kv: { ...kv('a', '', 4), createRevision: 0, version: 0 } }] },
    ];
    expect(watchHistoryFromCommits(commits)).toEqual(history.slice(0, 4));
  });
});
