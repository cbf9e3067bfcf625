#!/usr/bin/env node
/**
 * The `cairn` command. `cairn serve [flags]` runs a member; bad flags print one line and exit 2,
 * as etcd does. Every etcdctl client command (`put`, `get`, `watch`, `lease grant`, …) runs
 * through runCli (commands/run-cli.ts), with etcdctl's flags and output. Only the client is
 * imported up front: the server's modules (fastify, level, raft) load lazily for `serve` and
 * `repair`, so a client command starts as fast as Node does (bench/RESULTS.md, "CLI start").
 */
import { isKvError } from '../util/errors.js';
import { CAIRN_VERSION, VERSION_TEXT } from '../util/version.js';
import { FlagError } from './flags.js';
import { ExitCode } from './commands/cli-error.js';
import { helpFor } from './commands/help.js';
import { clientUsage, isClientCommand, runCli } from './commands/run-cli.js';

const USAGE = `usage: cairn <command> [flags]

commands:
  serve      run a member (etcd's flags: --name, --data-dir, --listen-client-urls, ...)
  repair     drop a torn, unacknowledged WAL tail of a stopped member (--data-dir)
  version    print cairn's version and the etcd API version it speaks
  help       print this, or a command's help: cairn help [command]
  completion print a shell completion script: source <(cairn completion bash|zsh)

Run 'cairn serve --help' for the server's flags, 'cairn help <command>' for a client command's.

${clientUsage()}`;

async function serve(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    const { SERVE_FLAGS } = await import('./serve-flags.js');
    console.log('usage: cairn serve [flags]\n');
    for (const f of SERVE_FLAGS) console.log(`  --${f.name.padEnd(30)} ${f.help}`);
    console.log('\nEvery flag can also be set as CAIRN_<FLAG_NAME> in the environment.');
    return;
  }
  const [{ resolveServeSetup }, { startServer }, { describeStorageFailure, storageFailure }] = await Promise.all([
    import('./serve-config.js'),
    import('./serve.js'),
    import('../storage/storage-errors.js'),
  ]);
  let config;
  let options;
  try {
    ({ config, process: options } = resolveServeSetup(argv, process.env));
  } catch (err) {
    if (err instanceof FlagError || isKvError(err, 'InvalidArgument')) {
      console.error(`cairn: ${(err as Error).message}`);
      process.exit(2);
    }
    throw err;
  }
  let server;
  try {
    server = await startServer(config, { logOutputs: options.logOutputs, metricsUrls: options.listenMetricsUrls, warnings: options.warnings });
  } catch (err) {
    // A disk that refuses at start-up (LevelDB's own read errors included): name errno and path.
    if (isKvError(err) || storageFailure(err).errno === undefined) throw err;
    console.error(`cairn: storage failure at start-up: ${describeStorageFailure(err)}`);
    process.exit(1);
  }
  const client = server.clientUrls[0] ?? '';
  console.error(`cairn ${CAIRN_VERSION}: member ${config.name} (${server.member.id.toString(16)}) serving clients on ${server.clientUrls.join(', ')}, data in ${config.dataDir}`);
  console.error(`try: curl -L ${client}/v3/kv/put -X POST -d '{"key":"Zm9v","value":"YmFy"}'`);
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    console.error(`cairn: ${signal}, stopping`);
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`cairn: error while stopping: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  // etcd exits once permanently removed from the cluster: there is nothing left for it to do.
  void server.removed.then(() => {
    console.error('cairn: the member has been permanently removed from the cluster; exiting');
    stopping = true;
    server.stop().finally(() => process.exit(0));
  });
  // etcd exits when its WAL cannot be written (it can no longer promise durability): a
  // supervisor restarts it, which beats a live process answering only "server stopped". The
  // client ports close first so in-flight answers ("may or may not have been applied") go out.
  void server.failed.then((err) => {
    console.error(`cairn: fatal storage failure, exiting: ${describeStorageFailure(err)}`);
    stopping = true;
    setTimeout(() => process.exit(1), 2000);
    server.closeClients().finally(() => process.exit(1));
  });
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
}

/** A client command, wired to the process: its streams, its environment, SIGINT to stop. */
async function client(argv: string[]): Promise<void> {
  const abort = new AbortController();
  process.on('SIGINT', () => {
    if (abort.signal.aborted) process.exit(130);
    abort.abort();
  });
  const r = await runCli(argv, {
    stdin: process.stdin,
    env: process.env,
    signal: abort.signal,
    onStdout: (t) => process.stdout.write(t),
    onStderr: (t) => process.stderr.write(t),
  });
  process.stdout.write('', () => process.exit(r.code));
}

/** `cairn help [command…]`: the usage, or one command's or group's help. */
async function help(words: string[]): Promise<void> {
  if (words.length === 0) return void console.log(USAGE);
  if (words[0] === 'serve') return serve(['--help']);
  const text = helpFor(words);
  if (text === undefined) {
    console.error(`Error: unknown help topic "${words.join(' ')}"\nRun 'cairn --help' for usage.`);
    process.exit(ExitCode.Error);
  }
  process.stdout.write(text);
}

async function completion(args: string[]): Promise<void> {
  const [{ completionScript }, { SERVE_FLAGS }] = await Promise.all([import('./commands/completion.js'), import('./serve-flags.js')]);
  const script = args.length === 1 ? completionScript(args[0] as string, SERVE_FLAGS) : undefined;
  if (script === undefined) {
    console.error('Error: usage: cairn completion bash|zsh');
    process.exit(ExitCode.BadArgs);
  }
  process.stdout.write(script);
}

async function main(argv: string[]): Promise<void> {
  // etcd's private file mode (0600) for every file cairn writes: LevelDB creates its files
  // (logs, tables, manifests) all its life with the process umask, as does `snapshot restore`,
  // so only a process-wide umask covers them all. The process is ours here; an embedding host's
  // umask is left alone (its data dir is 0700).
  process.umask(0o077);
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'repair':
      try {
        const { repair } = await import('./repair.js');
        console.log(await repair(rest, process.env));
      } catch (err) {
        console.error(`cairn: ${(err as Error).message}`);
        process.exit(err instanceof FlagError ? 2 : 1);
      }
      return;
    case 'version':
    case '--version':
      console.log(VERSION_TEXT);
      return;
    case 'help':
      return help(rest);
    case 'completion':
      return completion(rest);
    case undefined:
    case '--help':
    case '-h':
      console.log(USAGE);
      return;
    default:
      // Client commands, also when global flags come first (`cairn --endpoints=… get k`).
      if (isClientCommand(command) || command.startsWith('-')) return client(argv);
      // etcdctl (cobra): an unknown command exits 1.
      console.error(`Error: unknown command "${command}" for "cairn"\nRun 'cairn --help' for usage.`);
      process.exit(ExitCode.Error);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`cairn: ${(err as Error).message ?? String(err)}`);
  process.exit(1);
});
