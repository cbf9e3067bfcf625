/**
 * `watch [options] [key] [range_end] [-- command args…]`: prints every event (`PUT\nkey\nvalue`)
 * until SIGINT; `-i` reads `watch …` / `progress` lines from stdin and runs them on one stream.
 * With a command after `--`, runs it per event with ETCD_WATCH_* in its environment.
 */
import { spawn } from 'node:child_process';
import type { WatchCreateRequest, WatchResponse, WatchStream } from '../../api/kv.js';
import { fromUtf8, prefixRangeEnd, utf8 } from '../../util/bytes.js';
import { parseFlags, type FlagSpec, type FlagValue } from '../flags.js';
import { goQuoteString } from '../output/format.js';
import type { Printer, Sink } from '../output/index.js';
import { CliError, ExitCode, UsageError } from './cli-error.js';
import { sleep } from './abortable.js';
import { flagBool, type Command, type CommandContext } from './context.js';
import { argify } from './txn-parse.js';

const WATCH_FLAGS: readonly FlagSpec[] = [
  { name: 'prefix', kind: 'bool', help: 'Watch on a prefix if prefix is set' },
  { name: 'rev', kind: 'int', help: 'Revision to start watching' },
  { name: 'prev-kv', kind: 'bool', help: 'get the previous key-value pair before the event happens' },
  { name: 'progress-notify', kind: 'bool', help: 'get periodic watch progress notification from server' },
];

function createRequest(flags: ReadonlyMap<string, FlagValue>, args: readonly string[]): WatchCreateRequest {
  const key = args[0];
  if (key === undefined || args.length > 2) throw new UsageError('bad number of arguments');
  const prefix = flags.get('prefix') === true;
  if (args.length === 2 && prefix) throw new UsageError('`range_end` and `--prefix` are mutually exclusive');
  const k = utf8(key);
  const rev = flags.get('rev');
  let rangeEnd: Uint8Array | undefined;
  if (args[1] !== undefined) rangeEnd = utf8(args[1]);
  else if (prefix) rangeEnd = k.length === 0 ? new Uint8Array([0]) : prefixRangeEnd(k);
  return {
    key: prefix && k.length === 0 ? new Uint8Array([0]) : k,
    ...(rangeEnd !== undefined ? { rangeEnd } : {}),
    ...(typeof rev === 'number' && rev > 0 ? { startRevision: rev } : {}),
    ...(flags.get('prev-kv') === true ? { prevKv: true } : {}),
    ...(flags.get('progress-notify') === true ? { progressNotify: true } : {}),
  };
}

/** Runs the exec command once per event, its output copied to ours. */
function runForEvents(exec: readonly string[], r: WatchResponse, sink: Sink, env: Readonly<Record<string, string | undefined>>): Promise<void> {
  let chain = Promise.resolve();
  for (const e of r.events ?? []) {
    chain = chain.then(
      () =>
        new Promise<void>((resolve) => {
          const child = spawn(exec[0] as string, exec.slice(1), {
            env: {
              ...env,
              ETCD_WATCH_REVISION: String(r.header.revision),
              ETCD_WATCH_EVENT_TYPE: goQuoteString(e.type),
              ETCD_WATCH_KEY: goQuoteString(fromUtf8(e.kv.key)),
              ETCD_WATCH_VALUE: goQuoteString(fromUtf8(e.kv.value)),
            },
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          child.stdout.on('data', (d: Buffer) => sink.out(d.toString()));
          child.stderr.on('data', (d: Buffer) => sink.err(d.toString()));
          child.on('error', (err) => {
            sink.err(`command ${exec[0]} failed: ${err.message}\n`);
            resolve();
          });
          child.on('close', () => resolve());
        }),
    );
  }
  return chain;
}

/** Where a watch stands: the next revision not yet printed (0 until the first created reply). */
interface Resume {
  next: number;
}

/**
 * Prints one stream's responses as etcdctl's printWatchCh; resolves true if the server canceled
 * the watch. Events below `resume.next` were printed before a reconnection and are skipped.
 */
async function printResponses(stream: WatchStream, printer: Printer, ctx: CommandContext, exec: readonly string[], resume?: Resume): Promise<boolean> {
  for await (const r of stream) {
    if (r.created === true && r.canceled !== true) {
      if (resume !== undefined && resume.next === 0) resume.next = r.header.revision + 1;
      continue;
    }
    if (r.canceled === true) {
      const reason = r.compactRevision !== undefined && r.compactRevision > 0 ? 'etcdserver: mvcc: required revision has been compacted' : (r.cancelReason ?? 'etcdserver: watch canceled');
      ctx.io.sink.err(`watch was canceled (${reason})\n`);
      return true;
    }
    const events = (r.events ?? []).filter((e) => resume === undefined || e.kv.modRevision >= resume.next);
    if ((r.events ?? []).length === 0 && r.header.revision !== 0) ctx.io.sink.out(`progress notify: ${r.header.revision}\n`);
    if (events.length === 0 && (r.events ?? []).length > 0) continue;
    const response = { ...r, events };
    printer.watch(response);
    if (exec.length > 0) await runForEvents(exec, response, ctx.io.sink, ctx.io.env);
    const last = events[events.length - 1];
    if (last !== undefined && resume !== undefined) resume.next = last.kv.modRevision + 1;
  }
  return false;
}

/** Consecutive failed connections (over all endpoints) before a watch gives up. */
const MAX_WATCH_ATTEMPTS = 10;

/**
 * One watch that survives its member, as clientv3's does: when the stream breaks it reconnects
 * to the next endpoint and resumes after the last revision printed.
 */
async function watchWithResume(ctx: CommandContext, create: WatchCreateRequest): Promise<void> {
  const endpoints = ctx.globals.endpoints;
  const resume: Resume = { next: create.startRevision ?? 0 };
  const printer = ctx.printer();
  let failures = 0;
  let lastError: unknown;
  while (!ctx.io.signal.aborted) {
    const stream = ctx.client([endpoints[failures % endpoints.length] as string]).watch();
    const onAbort = () => stream.close();
    ctx.io.signal.addEventListener('abort', onAbort);
    const before = resume.next;
    try {
      stream.send({ type: 'create', request: { ...create, ...(resume.next > 0 ? { startRevision: resume.next } : {}) } });
      if (await printResponses(stream, printer, ctx, ctx.dashArgs, resume)) throw new CliError('watch is canceled by the server', ExitCode.Interrupted);
    } catch (err) {
      if (err instanceof CliError) throw err;
      lastError = err;
    } finally {
      ctx.io.signal.removeEventListener('abort', onAbort);
      stream.close();
    }
    if (ctx.io.signal.aborted) return;
    // A stream that delivered something resets the count; only repeated failures give up.
    if (resume.next !== before) failures = 0;
    if (++failures >= MAX_WATCH_ATTEMPTS) throw new CliError(`watch could not reconnect: ${(lastError as Error | undefined)?.message ?? 'stream ended'}`);
    await sleep(100, ctx.io.signal);
  }
}

/** Reads `watch …` / `progress` lines and sends them on the stream (etcdctl's interactive mode). */
async function readInteractive(ctx: CommandContext, stream: WatchStream): Promise<void> {
  for (;;) {
    const line = await ctx.io.stdin.readLine();
    if (line === undefined || ctx.io.signal.aborted) return;
    const words = argify(line.trim());
    if (words.length === 0) {
      ctx.io.sink.err(`Invalid command: ${line} (watch and progress supported)\n`);
      continue;
    }
    if (words[0] === 'progress') {
      stream.send({ type: 'progress' });
      continue;
    }
    if (words[0] !== 'watch') {
      ctx.io.sink.err(`Invalid command ${line} (only "watch" and "progress" are supported)\n`);
      continue;
    }
    try {
      const p = parseFlags(WATCH_FLAGS, words.slice(1), {}, 'CAIRN_WATCH_UNUSED');
      stream.send({ type: 'create', request: createRequest(p.values, p.positionals) });
    } catch (err) {
      ctx.io.sink.err(`Invalid command ${line} (${(err as Error).message})\n`);
    }
  }
}

export const watchCommand: Command = {
  name: 'watch',
  usage: 'watch [options] [key or prefix] [range_end] [--] [exec-command arg1 arg2 ...]',
  summary: 'Watches events stream on keys or prefixes',
  flags: [{ name: 'interactive', kind: 'bool', help: 'Interactive mode (-i)' }, ...WATCH_FLAGS],
  async run(ctx) {
    if (!flagBool(ctx, 'interactive')) return watchWithResume(ctx, createRequest(ctx.flags, ctx.args));
    if (ctx.args.length > 0) throw new UsageError('too many arguments for interactive mode: give `watch` lines on stdin');
    // Interactive: many watches on one stream to the first endpoint, until SIGINT.
    const stream = ctx.client().watch();
    const onAbort = () => stream.close();
    ctx.io.signal.addEventListener('abort', onAbort);
    try {
      void readInteractive(ctx, stream).catch((err: unknown) => ctx.io.sink.err(`error reading watch request line: ${(err as Error).message}\n`));
      const canceled = await printResponses(stream, ctx.printer(), ctx, ctx.dashArgs);
      if (ctx.io.signal.aborted) return;
      throw new CliError(canceled ? 'watch is canceled by the server' : 'watch stream ended', ExitCode.Interrupted);
    } catch (err) {
      if (ctx.io.signal.aborted) return;
      throw err;
    } finally {
      ctx.io.signal.removeEventListener('abort', onAbort);
      stream.close();
    }
  },
};
