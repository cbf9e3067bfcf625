/**
 * What every client command gets: etcdctl's global flags (also from the environment as
 * CAIRN_<FLAG> or ETCDCTL_<FLAG>), its own parsed flags and arguments, a printer for
 * `--write-out`, a client, standard input, and a signal that fires on SIGINT.
 */
import { readFileSync } from 'node:fs';
import { Client } from '../../client/client.js';
import { hasTlsOptions, type TlsClientOptions } from '../../util/tls-options.js';
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
  { name: 'cacert', kind: 'string', help: 'verify certificates of TLS-enabled secure servers using this CA bundle' },
  { name: 'cert', kind: 'string', help: 'identify secure client using this TLS certificate file' },
  { name: 'key', kind: 'string', help: 'identify secure client using this TLS key file' },
  { name: 'insecure-skip-tls-verify', kind: 'bool', help: 'skip server certificate verification (CAUTION: this option should be enabled only for testing purposes)' },
  { name: 'debug', kind: 'bool', help: 'enable client-side debug logging (accepted)' },
  { name: 'user', kind: 'string', help: 'username[:password] for authentication (prompt if password is not supplied)' },
  { name: 'password', kind: 'string', help: 'password for authentication (if this option is used, --user option shouldn\'t include password)' },
];

/** Global flags whose value is the next argument when written without `=`. */
export const GLOBAL_VALUE_FLAGS: ReadonlySet<string> = new Set(GLOBAL_FLAGS.filter((f) => f.kind !== 'bool').map((f) => f.name));

export interface Globals {
  readonly endpoints: readonly string[];
  readonly dialTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly writeOut: OutputFormat;
  readonly hex: boolean;
  /** etcdctl's --user name[:password] / --password; the password may still be prompted for. */
  readonly user?: { readonly name: string; readonly password?: string };
  /** --cacert, --cert, --key, --insecure-skip-tls-verify, read once; undefined when none is given. */
  readonly tls: TlsClientOptions | undefined;
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
    ...userOf(values),
    tls: resolveTls(values),
  };
}

/** etcdctl: `--password` takes the whole `--user` as the name; otherwise `name:password` splits at the first colon. */
function userOf(values: Map<string, FlagValue>): Pick<Globals, 'user'> {
  const user = values.get('user') as string | undefined;
  const password = values.get('password') as string | undefined;
  if (user === undefined || user === '') return {};
  if (password !== undefined && password !== '') return { user: { name: user, password } };
  const colon = user.indexOf(':');
  return { user: colon === -1 ? { name: user } : { name: user.slice(0, colon), password: user.slice(colon + 1) } };
}

/** Asks for a password missing from --user (on stderr, read from standard input, as etcdctl prompts). */
export async function promptPassword(globals: Globals, io: CliIo): Promise<Globals> {
  if (globals.user === undefined || globals.user.password !== undefined) return globals;
  io.sink.err('Password: ');
  const line = await io.stdin.readLine();
  if (line === undefined) throw new CliError('failed to read password: no input');
  return { ...globals, user: { name: globals.user.name, password: line } };
}

/** etcdctl's TLS flags; a file that cannot be read is Go's `open <path>: …` error. */
function resolveTls(values: Map<string, FlagValue>): TlsClientOptions | undefined {
  const read = (flag: string): Buffer | undefined => {
    const path = values.get(flag) as string | undefined;
    if (path === undefined || path === '') return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw new CliError(`open ${path}: ${code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message}`);
    }
  };
  const tls = { ca: read('cacert'), cert: read('cert'), key: read('key'), insecureSkipVerify: values.get('insecure-skip-tls-verify') === true };
  if ((tls.cert === undefined) !== (tls.key === undefined)) throw new UsageError('--cert and --key must be given together');
  return hasTlsOptions(tls) ? tls : undefined;
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
    client: (endpoints = globals.endpoints) =>
      new Client({
        endpoints,
        timeoutMs: globals.commandTimeoutMs + globals.dialTimeoutMs,
        retryRounds: 2,
        tls: globals.tls,
        ...(globals.user === undefined ? {} : { username: globals.user.name, password: globals.user.password ?? '' }),
      }),
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
