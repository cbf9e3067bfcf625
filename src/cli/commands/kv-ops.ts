/**
 * etcdctl's getPutOp / getGetOp / getDelOp: a command line (flags and arguments) to a request.
 * `put`, `get`, `del` and the ops inside `txn` share them, as etcdctl's do.
 */
import type { DeleteRangeRequest, PutRequest, RangeRequest, SortOrder, SortTarget } from '../../api/kv.js';
import { prefixRangeEnd, utf8 } from '../../util/bytes.js';
import type { FlagSpec, FlagValue } from '../flags.js';
import { CliError, ExitCode, UsageError } from './cli-error.js';
import { parseHexId } from './context.js';

type Flags = ReadonlyMap<string, FlagValue>;
const bool = (f: Flags, n: string): boolean => f.get(n) === true;
const str = (f: Flags, n: string, d = ''): string => (f.get(n) === undefined ? d : String(f.get(n)));
const int = (f: Flags, n: string): number => (typeof f.get(n) === 'number' ? (f.get(n) as number) : 0);

export const PUT_FLAGS: readonly FlagSpec[] = [
  { name: 'lease', kind: 'string', help: 'lease ID (in hexadecimal) to attach to the key (default "0")' },
  { name: 'prev-kv', kind: 'bool', help: 'return the previous key-value pair before modification' },
  { name: 'ignore-value', kind: 'bool', help: 'updates the key using its current value' },
  { name: 'ignore-lease', kind: 'bool', help: 'updates the key using its current lease' },
];

export const GET_FLAGS: readonly FlagSpec[] = [
  { name: 'consistency', kind: 'string', help: 'Linearizable(l) or Serializable(s) (default "l")' },
  { name: 'order', kind: 'string', help: 'Order of results; ASCEND or DESCEND (ASCEND by default)' },
  { name: 'sort-by', kind: 'string', help: 'Sort target; CREATE, KEY, MODIFY, VALUE, or VERSION' },
  { name: 'limit', kind: 'int', help: 'Maximum number of results' },
  { name: 'prefix', kind: 'bool', help: 'Get keys with matching prefix' },
  { name: 'from-key', kind: 'bool', help: "Get keys that are greater than or equal to the given key using byte compare" },
  { name: 'rev', kind: 'int', help: 'Specify the kv revision' },
  { name: 'keys-only', kind: 'bool', help: 'Get only the keys' },
  { name: 'count-only', kind: 'bool', help: 'Get only the count (needs --write-out=fields)' },
  { name: 'print-value-only', kind: 'bool', help: 'Only write values when using the "simple" output format' },
];

export const DEL_FLAGS: readonly FlagSpec[] = [
  { name: 'prefix', kind: 'bool', help: 'delete keys with matching prefix' },
  { name: 'prev-kv', kind: 'bool', help: 'return deleted key-value pairs' },
  { name: 'from-key', kind: 'bool', help: 'delete keys that are greater than or equal to the given key using byte compare' },
];

const ZERO = new Uint8Array([0]);

/** A key with --prefix / --from-key / an explicit range_end, as clientv3's options build it. */
function keyRange(key: string, rangeEnd: string | undefined, prefix: boolean, fromKey: boolean, verb: string): { key: Uint8Array; rangeEnd?: Uint8Array } {
  if (prefix && fromKey) throw new UsageError('`--prefix` and `--from-key` cannot be set at the same time, choose one');
  if (rangeEnd !== undefined) {
    if (prefix || fromKey) throw new UsageError(`too many arguments, only accept one argument when \`--prefix\` or \`--from-key\` is set${verb === 'del' ? '.' : ''}`);
    return { key: utf8(key), rangeEnd: utf8(rangeEnd) };
  }
  // An empty key with --prefix or --from-key means every key (etcdctl substitutes "\x00").
  if ((prefix || fromKey) && key === '') return { key: ZERO, rangeEnd: ZERO };
  if (prefix) return { key: utf8(key), rangeEnd: prefixRangeEnd(utf8(key)) };
  if (fromKey) return { key: utf8(key), rangeEnd: ZERO };
  return { key: utf8(key) };
}

/** `value` is the second argument or, when absent, the caller's standard input (undefined if none). */
export function putRequest(f: Flags, args: readonly string[], stdinValue?: string): PutRequest {
  const needs = 'put command needs 1 argument and input from stdin or 2 arguments';
  const key = args[0];
  if (key === undefined) throw new UsageError(needs);
  const ignoreValue = bool(f, 'ignore-value');
  if (ignoreValue && args.length > 1) throw new UsageError("put command needs only 1 argument when 'ignore-value' is set");
  if (args.length > 2) throw new UsageError(needs);
  let value = '';
  if (!ignoreValue) {
    const v = args[1] ?? stdinValue;
    if (v === undefined || v === '') throw new UsageError(needs);
    value = v;
  }
  const lease = str(f, 'lease', '0');
  const id = lease === '0' ? 0n : parseHexId(lease, 'lease ID', true);
  return {
    key: utf8(key),
    value: utf8(value),
    ...(id !== 0n ? { lease: id } : {}),
    ...(bool(f, 'prev-kv') ? { prevKv: true } : {}),
    ...(ignoreValue ? { ignoreValue: true } : {}),
    ...(bool(f, 'ignore-lease') ? { ignoreLease: true } : {}),
  };
}

const SORT_TARGETS: Record<string, SortTarget> = { CREATE: 'CREATE', KEY: 'KEY', MODIFY: 'MOD', VALUE: 'VALUE', VERSION: 'VERSION', '': 'KEY' };
const SORT_ORDERS: Record<string, SortOrder> = { ASCEND: 'ASCEND', DESCEND: 'DESCEND', '': 'NONE' };

export function rangeRequest(f: Flags, args: readonly string[]): RangeRequest {
  const key = args[0];
  if (key === undefined || args.length > 2) throw new UsageError('get command needs one argument as key and an optional argument as range_end');
  const consistency = str(f, 'consistency', 'l');
  if (consistency !== 'l' && consistency !== 's') throw new CliError(`unknown consistency flag "${consistency}"`, ExitCode.BadFeature);
  const order = SORT_ORDERS[str(f, 'order').toUpperCase()];
  if (order === undefined) throw new CliError(`bad sort order ${str(f, 'order')}`, ExitCode.BadFeature);
  const target = SORT_TARGETS[str(f, 'sort-by').toUpperCase()];
  if (target === undefined) throw new CliError(`bad sort target ${str(f, 'sort-by')}`, ExitCode.BadFeature);
  const limit = int(f, 'limit');
  const rev = int(f, 'rev');
  return {
    ...keyRange(key, args[1], bool(f, 'prefix'), bool(f, 'from-key'), 'get'),
    ...(limit > 0 ? { limit } : {}),
    ...(rev > 0 ? { revision: rev } : {}),
    ...(order !== 'NONE' ? { sortOrder: order } : {}),
    ...(target !== 'KEY' ? { sortTarget: target } : {}),
    ...(consistency === 's' ? { serializable: true } : {}),
    ...(bool(f, 'keys-only') ? { keysOnly: true } : {}),
    ...(bool(f, 'count-only') ? { countOnly: true } : {}),
  };
}

export function deleteRequest(f: Flags, args: readonly string[]): DeleteRangeRequest {
  const key = args[0];
  if (key === undefined || args.length > 2) throw new UsageError('del command needs one argument as key and an optional argument as range_end');
  return { ...keyRange(key, args[1], bool(f, 'prefix'), bool(f, 'from-key'), 'del'), ...(bool(f, 'prev-kv') ? { prevKv: true } : {}) };
}
