/** The formatters on their own: Go's verbs, etcdctl's tables and printers, the txn language, check perf's verdict. */
import { describe, expect, it } from 'vitest';
import { perfStats, perfVerdict } from '../../src/cli/commands/check-perf.js';
import { runCli } from '../../src/cli/commands/run-cli.js';
import { parseGoDuration } from '../../src/cli/commands/duration.js';
import { argify, parseCompare, parseRequestOp } from '../../src/cli/commands/txn-parse.js';
import { goDuration, goQuote, hexEscaped, hexId16, hexIdPadded, humanizeBytes } from '../../src/cli/output/format.js';
import { newPrinter } from '../../src/cli/output/index.js';
import { renderTable } from '../../src/cli/output/table.js';

const enc = (s: string) => new TextEncoder().encode(s);
const header = { clusterId: 0x1234n, memberId: 0x8e9e05c52164694dn, revision: 0, raftTerm: 2 };

function capture(format: 'simple' | 'json' | 'fields' | 'table', hex = false) {
  const out = { stdout: '', stderr: '' };
  const p = newPrinter(format, { out: (t) => (out.stdout += t), err: (t) => (out.stderr += t) }, { hex });
  return { p, out };
}

describe('Go formatting', () => {
  it('quotes like %q, escapes like --hex, pads IDs like %016x and %16x', () => {
    expect(goQuote(enc('a"b\\c\n\t'))).toBe('"a\\"b\\\\c\\n\\t"');
    expect(goQuote(new Uint8Array([0, 0x7f, 0xff]))).toBe('"\\x00\\x7f\\xff"');
    expect(goQuote(enc('héllo ✓'))).toBe('"héllo ✓"');
    expect(hexEscaped(enc('ab'))).toBe('\\x61\\x62');
    expect(hexId16(0x694d77aa9e38260fn)).toBe('694d77aa9e38260f');
    expect(hexId16(0x38260fn)).toBe('000000000038260f');
    expect(hexId16(255)).toBe('00000000000000ff');
    expect(hexIdPadded(255)).toBe('              ff');
  });

  it('sizes like go-humanize and durations like time.Duration', () => {
    expect(humanizeBytes(7)).toBe('7 B');
    expect(humanizeBytes(24576)).toBe('25 kB');
    expect(humanizeBytes(1200)).toBe('1.2 kB');
    expect(humanizeBytes(20_480_000)).toBe('20 MB');
    expect(goDuration(1.234567)).toBe('1.234567ms');
    expect(goDuration(0.5123)).toBe('512.3µs');
    expect(goDuration(2500)).toBe('2.5s');
    expect(goDuration(90_000)).toBe('1m30s');
    expect(parseGoDuration('1m30s', 'x')).toBe(90_000);
    expect(parseGoDuration('500ms', 'x')).toBe(500);
    expect(() => parseGoDuration('5', 'x')).toThrow('time: invalid duration "5"');
  });
});

describe('tables and printers', () => {
  it('draws the member table exactly as etcd\'s documentation shows it', () => {
    const { p, out } = capture('table');
    p.memberList({ header, members: [{ id: 0x8e9e05c52164n, name: 'default', peerUrls: ['http://localhost:2380'], clientUrls: ['http://localhost:2379'] }] });
    expect(out.stdout).toBe(
      [
        '+--------------+---------+---------+-----------------------+-----------------------+------------+',
        '|      ID      | STATUS  |  NAME   |      PEER ADDRS       |     CLIENT ADDRS      | IS LEARNER |',
        '+--------------+---------+---------+-----------------------+-----------------------+------------+',
        '| 8e9e05c52164 | started | default | http://localhost:2380 | http://localhost:2379 |      false |',
        '+--------------+---------+---------+-----------------------+-----------------------+------------+',
        '',
      ].join('\n'),
    );
    expect(renderTable(['a'], [])).toBe('+---+\n| A |\n+---+\n+---+\n');
  });

  it('shows an unstarted member and learners as etcdctl does', () => {
    const { p, out } = capture('simple');
    p.memberList({ header, members: [{ id: 0xabcn, name: '', peerUrls: ['http://a:1', 'http://b:2'], clientUrls: [], isLearner: true }] });
    expect(out.stdout).toBe('abc, unstarted, , http://a:1,http://b:2, , true\n');
  });

  it('prints alarms, member changes and move-leader in etcdctl\'s words', () => {
    const { p, out } = capture('simple');
    p.alarm({ alarms: [{ memberId: 123n, alarm: 'NOSPACE' }] });
    p.memberAdd({ header, member: { id: 0xbeefn, name: '', peerUrls: ['http://x:1'], clientUrls: [], isLearner: true }, members: [] });
    p.memberRemove(0xbeefn, { header, members: [] });
    p.moveLeader(0xan, 0xbn, {});
    expect(out.stdout).toBe(
      'memberID:123 alarm:NOSPACE \n' +
        `Member             beef added as learner to cluster             1234\n` +
        `Member             beef removed from cluster             1234\n` +
        'Leadership transferred from a to b\n',
    );
    const j = capture('json');
    j.p.alarm({ alarms: [{ memberId: 123n, alarm: 'NOSPACE' }] });
    expect(JSON.parse(j.out.stdout)).toEqual({ alarms: [{ memberID: 123, alarm: 1 }] });
  });

  it('prints a DELETE watch event with an empty value line; fields show the event type', () => {
    const kv = { key: enc('k'), createRevision: 0, modRevision: 9, version: 0, value: new Uint8Array(), lease: 0n };
    const s = capture('simple');
    s.p.watch({ header: { ...header, revision: 9 }, watchId: 0, events: [{ type: 'DELETE', kv }] });
    expect(s.out.stdout).toBe('DELETE\nk\n\n');
    const f = capture('fields');
    f.p.watch({ header: { ...header, revision: 9 }, watchId: 0, events: [{ type: 'DELETE', kv }] });
    expect(f.out.stdout).toContain('"Revision" : 9\n"RaftTerm" : 2\n"Type" : DELETE\n"Key" : "k"\n');
  });

  it('refuses what a format cannot show', () => {
    expect(() => capture('table').p.put({ header })).toThrow('table not supported as output format');
    expect(() => capture('fields').p.moveLeader(1n, 2n, {})).toThrow('fields not supported as output format');
  });
});

describe('txn language', () => {
  it('splits words as argify does', () => {
    expect(argify(`put k "two words" 'it''s' --prev-kv`)).toEqual(['put', 'k', 'two words', 'it', 's', '--prev-kv']);
    expect(argify('put k "a\\nb"')).toEqual(['put', 'k', 'a\nb']);
  });

  it('parses every compare target and op', () => {
    expect(parseCompare('mod("k") > "0"')).toEqual({ key: enc('k'), result: 'GREATER', target: 'MOD', modRevision: 0 });
    expect(parseCompare('create("k") = "0"')).toMatchObject({ target: 'CREATE', result: 'EQUAL', createRevision: 0 });
    expect(parseCompare('ver("k") < "3"')).toMatchObject({ target: 'VERSION', result: 'LESS', version: 3 });
    expect(parseCompare('val("k") != "x y"')).toMatchObject({ target: 'VALUE', result: 'NOT_EQUAL', value: enc('x y') });
    expect(parseCompare('lease("k") = "ff"')).toMatchObject({ target: 'LEASE', lease: 255n });
    expect(() => parseCompare('mod("k") >= "1"')).toThrow('invalid txn compare request');
    expect(() => parseCompare('mod("k") > "x"')).toThrow('invalid txn compare request: mod("k") > "x"');
  });

  it('parses ops with their flags', () => {
    expect(parseRequestOp('get a --prefix')).toMatchObject({ type: 'range', request: { key: enc('a'), rangeEnd: enc('b') } });
    expect(parseRequestOp('del a c')).toMatchObject({ type: 'deleteRange', request: { key: enc('a'), rangeEnd: enc('c') } });
    expect(parseRequestOp('put a b --lease=10')).toMatchObject({ type: 'put', request: { key: enc('a'), value: enc('b'), lease: 16n } });
    expect(() => parseRequestOp('put a')).toThrow('invalid txn request: put a');
  });
});

describe('check perf verdict', () => {
  it('passes a load near its target and fails a slow one, with etcdctl\'s lines', () => {
    const lines: string[] = [];
    const good = perfStats(Array.from({ length: 300 }, () => 20), 2000, new Map());
    expect(perfVerdict(good, { limit: 150, clients: 50 }, (l) => lines.push(l))).toBe(true);
    expect(lines).toEqual(['PASS: Throughput is 151 writes/s', 'PASS: Slowest request took 0.020000s', 'PASS: Stddev is 0.000000s', 'PASS']);
    lines.length = 0;
    const bad = perfStats([10, 900], 2000, new Map([['boom', 2]]));
    expect(perfVerdict(bad, { limit: 150, clients: 50 }, (l) => lines.push(l))).toBe(false);
    expect(lines).toEqual([
      'FAIL: too many errors', 'FAIL: ERROR(boom) -> 2', 'FAIL: Throughput too low: 2 writes/s',
      'Slowest request took too long: 0.900000s', 'Stddev too high: 0.445000s', 'FAIL',
    ]);
  });
});

describe('help and unknown commands', () => {
  it('prints a command\'s usage and flags with --help, an unknown one exits 1 as etcdctl (cobra)', async () => {
    const help = await runCli(['lease', 'timetolive', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('cairn lease timetolive <leaseID> [options]');
    expect(help.stdout).toContain('--keys');
    expect(help.stdout).toContain('--endpoints');
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('Error: unknown command "frobnicate" for "cairn"\nRun \'cairn --help\' for usage.\n');
  });
});
