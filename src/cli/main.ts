#!/usr/bin/env node
/**
 * The `cairn` command. `cairn serve [flags]` runs a member; bad flags print one line and exit 2,
 * as etcd does. Every etcdctl client command (`put`, `get`, `watch`, `lease grant`, …) runs
 * through runCli (commands/run-cli.ts), with etcdctl's flags and output.
 */
import { isKvError } from '../util/errors.js';
import { describeStorageFailure, storageFailure } from '../storage/storage-errors.js';
import { FlagError } from './flags.js';
import { repair } from './repair.js';
import { parseServeFlags } from './serve-flags.js';
import { startServer } from './serve.js';
import { clientUsage, isClientCommand, runCli } from './commands/run-cli.js';
import { CAIRN_VERSION } from '../server/service.js';

const USAGE = `usage: cairn <command> [flags]

commands:
  serve      run a member (etcd's flags: --name, --data-dir, --listen-client-urls, ...)
  repair     drop a torn, unacknowledged WAL tail of a stopped member (--data-dir)
  version    print the version

Run 'cairn serve --help' for the server's flags, 'cairn <command> --help' for a client command's.

${clientUsage()}`;

async function serve(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    const { SERVE_FLAGS } = await import('./serve-flags.js');
    console.log('usage: cairn serve [flags]\n');
    for (const f of SERVE_FLAGS) console.log(`  --${f.name.padEnd(30)} ${f.help}`);
    console.log('\nEvery flag can also be set as CAIRN_<FLAG_NAME> in the environment.');
    return;
  }
  let config;
  try {
    config = parseServeFlags(argv, process.env);
  } catch (err) {
    if (err instanceof FlagError || isKvError(err, 'InvalidArgument')) {
      console.error(`cairn: ${(err as Error).message}`);
      process.exit(2);
    }
    throw err;
  }
  let server;
  try {
    server = await startServer(config);
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
        console.log(await repair(rest, process.env));
      } catch (err) {
        console.error(`cairn: ${(err as Error).message}`);
        process.exit(err instanceof FlagError ? 2 : 1);
      }
      return;
    case 'version':
    case '--version':
      console.log(`cairn version: ${CAIRN_VERSION}\nAPI version: 3.5`);
      return;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return;
    default:
      // Client commands, also when global flags come first (`cairn --endpoints=… get k`).
      if (isClientCommand(command) || command.startsWith('-')) return client(argv);
      console.error(`cairn: unknown command "${command}"\n\n${USAGE}`);
      process.exit(2);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`cairn: ${(err as Error).message ?? String(err)}`);
  process.exit(1);
});
