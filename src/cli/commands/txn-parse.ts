/**
 * etcdctl's txn input language: compares like `mod("k") > "0"` and ops written as `put`,
 * `get` and `del` command lines (with their flags), split into words as etcdctl's argify does.
 */
import type { Compare, CompareResult, RequestOp } from '../../api/kv.js';
import { utf8 } from '../../util/bytes.js';
import { parseFlags } from '../flags.js';
import { CliError, ExitCode } from './cli-error.js';
import { parseDecimal, parseHexId } from './context.js';
import { DEL_FLAGS, deleteRequest, GET_FLAGS, PUT_FLAGS, putRequest, rangeRequest } from './kv-ops.js';

/** Malformed txn input exits 3, as etcdctl's ExitInvalidInput. */
const inputError = (message: string): CliError => new CliError(message, ExitCode.InvalidInput);

/** A Go `%q` / strconv.Unquote-able string literal, decoded; undefined if malformed. */
function unquote(text: string): string | undefined {
  if (text.length >= 2 && text.startsWith('`') && text.endsWith('`')) return text.slice(1, -1);
  if (!(text.length >= 2 && text.startsWith('"') && text.endsWith('"'))) return undefined;
  try {
    // Go's escapes are JSON's plus \xNN, \a, \v and octal; map the common extra ones first.
    const json = text.replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1').replace(/\\a/g, '\\u0007').replace(/\\v/g, '\\u000b');
    const v: unknown = JSON.parse(json);
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** etcdctl's argify: words, "double-quoted" (unquoted as Go strings) or 'single-quoted' (verbatim). */
export function argify(line: string): string[] {
  const words = line.match(/"(?:[^"\\]|\\.)*"|'[^']*'|[^'"\s]\S*[^'"\s]?/g) ?? [];
  return words.map((w) => {
    if (w.startsWith("'")) return w.slice(1, -1);
    if (w.startsWith('"')) {
      const v = unquote(w);
      if (v === undefined) throw inputError(`invalid quoted argument ${w}`);
      return v;
    }
    return w;
  });
}

const RESULTS: Record<string, CompareResult> = { '=': 'EQUAL', '!=': 'NOT_EQUAL', '<': 'LESS', '>': 'GREATER' };

export function parseCompare(line: string): Compare {
  const malformed = (why = '') => inputError(`malformed comparison: ${line}${why}`);
  const m = /^([A-Za-z]+)\((".*?(?<!\\)"|`[^`]*`)\)\s+(\S+)\s+(".*"|`[^`]*`)$/.exec(line.trim());
  if (m === null) throw malformed();
  const [, target, rawKey, op, rawVal] = m as unknown as [string, string, string, string, string];
  const key = unquote(rawKey);
  const val = unquote(rawVal);
  if (key === undefined || val === undefined) throw malformed();
  const result = RESULTS[op];
  if (result === undefined) throw inputError(`invalid txn compare request: ${line} (unknown op "${op}")`);
  const base = { key: utf8(key), result };
  const int = (): number => {
    const n = parseDecimal(val);
    if (n === undefined) throw inputError(`invalid txn compare request: ${line}`);
    return n;
  };
  switch (target) {
    case 'ver':
    case 'version':
      return { ...base, target: 'VERSION', version: int() };
    case 'c':
    case 'create':
      return { ...base, target: 'CREATE', createRevision: int() };
    case 'm':
    case 'mod':
      return { ...base, target: 'MOD', modRevision: int() };
    case 'val':
    case 'value':
      return { ...base, target: 'VALUE', value: utf8(val) };
    case 'lease':
      return { ...base, target: 'LEASE', lease: val === '0' ? 0n : parseHexId(val, 'lease ID', true) };
    default:
      throw malformed(` (unknown target ${target})`);
  }
}

/** One op line: `put k v [--lease=…]`, `get k [end] [--prefix …]`, `del k [end] [--prefix …]`. */
export function parseRequestOp(line: string): RequestOp {
  const args = argify(line);
  const invalid = (cause?: unknown) => inputError(`invalid txn request: ${line}${cause instanceof Error ? ` (${cause.message})` : ''}`);
  if (args.length < 2) throw inputError(`invalid txn compare request: ${line}`);
  const [verb, ...rest] = args as [string, ...string[]];
  try {
    switch (verb) {
      case 'put': {
        const p = parseFlags(PUT_FLAGS, rest, {}, 'CAIRN_TXN_UNUSED');
        return { type: 'put', request: putRequest(p.values, p.positionals) };
      }
      case 'get': {
        const p = parseFlags(GET_FLAGS, rest, {}, 'CAIRN_TXN_UNUSED');
        return { type: 'range', request: rangeRequest(p.values, p.positionals) };
      }
      case 'del': {
        const p = parseFlags(DEL_FLAGS, rest, {}, 'CAIRN_TXN_UNUSED');
        return { type: 'deleteRange', request: deleteRequest(p.values, p.positionals) };
      }
      default:
        throw invalid();
    }
  } catch (err) {
    if (err instanceof CliError && err.message.startsWith('invalid txn request')) throw err;
    throw invalid(err);
  }
}
