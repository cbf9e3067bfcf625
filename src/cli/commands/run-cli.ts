/**
 * `runCli(argv, io)`: runs one etcdctl-style client command and returns what it printed and
 * its exit code, without touching the process — the binary (main.ts) and the tests share it.
 * Errors print `Error: <message>` on stderr with etcdctl's exit codes (cli-error.ts): 1 for a
 * failed request or an unknown flag, 128 for wrong arguments, 3, 4 and 5 where etcdctl uses them.
 */
export { clientUsage } from './help.js';
import { FlagError, parseFlags } from '../flags.js';
import type { Sink } from '../output/index.js';
import { CliError, ExitCode, UsageError } from './cli-error.js';
import { GLOBAL_FLAGS, GLOBAL_VALUE_FLAGS, makeContext, promptPassword, resolveGlobals } from './context.js';
import { clientUsage, commandHelp, groupHelp } from './help.js';
import { COMMANDS, GROUPS } from './registry.js';
import { LineInput, type StdinSource } from './stdin.js';
import { LoginError } from '../../client/auth-session.js';

export interface RunCliOptions {
  readonly stdin?: StdinSource;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Aborting stops long-running commands (watch, lease keep-alive, check perf), as SIGINT does. */
  readonly signal?: AbortSignal;
  /** Streams output as it is written (then it is not collected in the result). */
  readonly onStdout?: (text: string) => void;
  readonly onStderr?: (text: string) => void;
}

export interface RunCliResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

/** pflag's short forms etcdctl uses: `-w` (write-out) and `-i` (interactive). */
function expandShortFlags(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') return [...out, ...argv.slice(i)];
    if (a === '-w') out.push('--write-out');
    else if (a.startsWith('-w=')) out.push(`--write-out=${a.slice(3)}`);
    else if (a === '-i') out.push('--interactive');
    else out.push(a);
  }
  return out;
}

/** Finds the command words (`lease`, `grant`) among flags; returns the command and the rest. */
function findCommand(argv: readonly string[]): { name: string | undefined; rest: string[] } {
  const words: number[] = [];
  for (let i = 0; i < argv.length && words.length < 2; i++) {
    const a = argv[i] as string;
    if (a === '--') break;
    if (a.startsWith('-') && a !== '-') {
      const name = a.replace(/^--?/, '');
      if (!name.includes('=') && GLOBAL_VALUE_FLAGS.has(name)) i++;
      continue;
    }
    words.push(i);
    if (!GROUPS.has(a)) break;
  }
  const name = words.map((i) => argv[i]).join(' ');
  return { name: name === '' ? undefined : name, rest: argv.filter((_, i) => !words.includes(i)) };
}

export const isClientCommand = (word: string | undefined): boolean => word !== undefined && (COMMANDS.has(word) || GROUPS.has(word));

export async function runCli(argv: readonly string[], o: RunCliOptions = {}): Promise<RunCliResult> {
  let stdout = '';
  let stderr = '';
  const sink: Sink = {
    out: o.onStdout ?? ((t) => void (stdout += t)),
    err: o.onStderr ?? ((t) => void (stderr += t)),
  };
  const result = (code: number): RunCliResult => ({ stdout, stderr, code });
  const expanded = expandShortFlags(argv);
  const { name, rest } = findCommand(expanded);
  const command = name === undefined ? undefined : COMMANDS.get(name);
  if (command === undefined) {
    // A group alone (`cairn lease`, `cairn lease --help`) prints its subcommands, as etcdctl does.
    if (name !== undefined && GROUPS.has(name)) {
      sink.out(groupHelp(name));
      return result(ExitCode.Success);
    }
    if (name === undefined) {
      sink.out(`${clientUsage()}\n`);
      return result(ExitCode.Success);
    }
    sink.err(`Error: unknown command "${name}" for "cairn"\nRun 'cairn --help' for usage.\n`);
    return result(ExitCode.Error);
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    sink.out(commandHelp(command));
    return result(0);
  }
  const dash = rest.indexOf('--');
  const before = dash === -1 ? rest : rest.slice(0, dash);
  const dashArgs = dash === -1 ? [] : rest.slice(dash + 1);
  try {
    // Global flags come from the command line here; resolveGlobals adds the environment.
    const parsed = parseFlags([...GLOBAL_FLAGS, ...command.flags], before, {}, 'CAIRN_UNUSED');
    const globals = resolveGlobals(parsed.values, o.env ?? {});
    const io = { sink, stdin: new LineInput(o.stdin ?? ''), env: o.env ?? {}, signal: o.signal ?? new AbortController().signal };
    await command.run(makeContext(await promptPassword(globals, io), io, parsed.values, parsed.positionals, dashArgs));
    return result(0);
  } catch (err) {
    // etcdctl: an unknown or malformed flag exits 1 (cobra), wrong arguments 128 (ExitBadArgs).
    if (err instanceof FlagError || err instanceof UsageError) {
      sink.err(`Error: ${err.message}\n\nUsage: cairn ${command.usage}\nRun 'cairn ${command.name} --help' for its flags.\n`);
      return result(err instanceof UsageError ? ExitCode.BadArgs : ExitCode.Error);
    }
    // etcdctl builds its client (and logs in) before the command: a failed login exits 2.
    if (err instanceof LoginError) {
      sink.err(`Error: ${err.message}\n`);
      return result(ExitCode.BadConnection);
    }
    if (err instanceof CliError) {
      if (err.message !== '') sink.err(`Error: ${err.message}\n`);
      return result(err.exitCode);
    }
    sink.err(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
    return result(ExitCode.Error);
  }
}
