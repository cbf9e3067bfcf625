/**
 * What every client command gets: etcdctl's global flags (also from the environment as
 * CAIRN_<FLAG> or ETCDCTL_<FLAG>), its own parsed flags and arguments, a printer for
 * `--write-out`, a client, standard input, and a signal that fires on SIGINT.
 */
import { Client } from '../../client/client.js';
import { envName, type FlagSpec, type FlagValue } from '../flags.js';
import { newPrinter, OUTPUT_FORMATS, type OutputFormat, type Printer, type Sink } from '../output/index.js';
import { CliError, ExitCode, UsageError } from './cli-error.js';
import { parseGoDuration } from './duration.js';
import type { LineInput } from './stdin.js';

export const GLOBAL_FLAGS: readonly FlagSpec[] = [
  { name: 'endpoints', kind: 'list', help: "client URLs, comma-separated (etcd's v3 JSON gateway over HTTP) (default 127.0.0.1:2379)" },
  { name: 'dial-timeout', kind: 'string', help: 'dial timeout for client connections (default 2s)' },
  { name: 'command-timeout', kind: 'string', help: 'timeout for short running command (excluding dial timeout) (default 5s)' },
  { name: 'keepalive-time', kind: 'string', help: 'keepalive time for client connections (accepted, unused over HTTP)' },
  { name: 'keepalive-timeout', kind: 'string', help: 'keepalive timeout for client connections (accepted, unused over HTTP)' },
  { name: 'write-out', kind: 'string', help: 'set the output format (fields, json, simple, table) (default simple); -w for short' },
  { name: 'hex', kind: 'bool', help: 'print byte strings as hex encoded strings' },
  { name: 'insecure-transport', kind: 'bool', help: 'disable transport security for client connections (accepted)' },
  { name: 'debug', kind: 'bool', help: 'enable client-side debug logging (accepted)' },
];

/** Global flags whose value is the next argument when written without `=`. */
export const GLOBAL_VALUE_FLAGS: ReadonlySet<string> = new Set(GLOBAL_FLAGS.filter((f) => f.kind !== 'bool').map((f) => f.name));

export interface Globals {
  readonly endpoints: readonly string[];
  readonly dialTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly writeOut: OutputFormat;
  readonly hex: boolean;
}

export interface CliIo {
  readonly sink: Sink;
  readonly stdin: LineInput;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on SIGINT: long-running commands (watch, keep-alive, check perf) stop on it. */
  readonly signal: AbortSignal;
}

export interface CommandContext {
  readonly globals: Globals;
  readonly io: CliIo;
  readonly flags: ReadonlyMap<string, FlagValue>;
  readonly args: readonly string[];
  /** Arguments after `--` (watch's exec command). */
  readonly dashArgs: readonly string[];
  printer(o?: { valueOnly?: boolean }): Printer;
  /** A client for the global endpoints, or for the given ones (per-endpoint commands). */
  client(endpoints?: readonly string[]): Client;
}

export interface Command {
  /** `put`, `lease grant`, … */
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
  readonly flags: readonly FlagSpec[];
  run(ctx: CommandContext): Promise<void>;
}

/** Global flags from `values` (command line) or the environment; both at once is an error, as in etcdctl. */
export function resolveGlobals(values: Map<string, FlagValue>, env: Readonly<Record<string, string | undefined>>): Globals {
  for (const spec of GLOBAL_FLAGS) {
    const key = ['CAIRN', 'ETCDCTL'].map((p) => envName(p, spec.name)).find((k) => (env[k] ?? '') !== '');
    if (key === undefined) continue;
    if (values.has(spec.name)) {
      throw new CliError(`conflicting environment variable "${key}" is shadowed by corresponding command-line flag (either unset environment variable or disable flag)`);
    }
    const raw = env[key] as string;
    values.set(spec.name, spec.kind === 'list' ? raw.split(',').map((s) => s.trim()).filter((s) => s !== '') : spec.kind === 'bool' ? /^(1|t|true)$/i.test(raw) : raw);
  }
  const writeOut = String(values.get('write-out') ?? 'simple');
  if (!(OUTPUT_FORMATS as readonly string[]).includes(writeOut)) throw new CliError(`unsupported output format "${writeOut}" (simple, json, fields, table)`, ExitCode.BadFeature);
  const endpoints = (values.get('endpoints') as string[] | undefined) ?? ['127.0.0.1:2379'];
  if (endpoints.length === 0) throw new UsageError('no endpoints given');
  return {
    endpoints,
    dialTimeoutMs: parseGoDuration(String(values.get('dial-timeout') ?? '2s'), 'dial-timeout'),
    commandTimeoutMs: parseGoDuration(String(values.get('command-timeout') ?? '5s'), 'command-timeout'),
    writeOut: writeOut as OutputFormat,
    hex: values.get('hex') === true,
  };
}

export function makeContext(globals: Globals, io: CliIo, flags: Map<string, FlagValue>, args: string[], dashArgs: string[]): CommandContext {
  return {
    globals,
    io,
    flags,
    args,
    dashArgs,
    printer: (o = {}) => newPrinter(globals.writeOut, io.sink, { hex: globals.hex, ...o }),
    // The HTTP client has no separate dial step: the dial timeout bounds each request too.
    client: (endpoints = globals.endpoints) => new Client({ endpoints, timeoutMs: globals.commandTimeoutMs + globals.dialTimeoutMs, retryRounds: 2 }),
  };
}

// ---- flag accessors --------------------------------------------------------------------------
export const flagBool = (ctx: CommandContext, name: string): boolean => ctx.flags.get(name) === true;
export const flagString = (ctx: CommandContext, name: string, dflt = ''): string => {
  const v = ctx.flags.get(name);
  return v === undefined ? dflt : String(v);
};
export const flagInt = (ctx: CommandContext, name: string, dflt = 0): number => {
  const v = ctx.flags.get(name);
  return typeof v === 'number' ? v : dflt;
};
export const flagList = (ctx: CommandContext, name: string): string[] => (ctx.flags.get(name) as string[] | undefined) ?? [];

const MAX_INT64 = 2n ** 63n - 1n;

/**
 * etcdctl's hex IDs, all 64 bits (a real etcd's member and lease IDs use them): lease IDs are
 * `strconv.ParseInt(s, 16, 64)`, member IDs `ParseUint`. `what` names the argument in the error.
 */
export function parseHexId(text: string, what: string, signed = false): bigint {
  const n = /^[0-9a-fA-F]{1,16}$/.test(text) ? BigInt(`0x${text}`) : undefined;
  if (n === undefined || (signed && n > MAX_INT64)) throw new CliError(`bad ${what} (${text}), expecting ID in Hex`, ExitCode.BadArgs);
  return n;
}

/** A decimal int64 argument (strconv.ParseInt), or undefined when it is not one cairn can hold. */
export function parseDecimal(text: string): number | undefined {
  const n = Number(text);
  return /^-?\d+$/.test(text) && Number.isSafeInteger(n) ? n : undefined;
}
