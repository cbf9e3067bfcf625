#!/usr/bin/env node
/**
 * The `cairn` command. `cairn serve [flags]` runs a member; bad flags print one line and exit 2,
 * as etcd does. Client commands (etcdctl's) come with the CLI issue.
 */
import { isKvError } from '../util/errors.js';
import { FlagError } from './flags.js';
import { parseServeFlags } from './serve-flags.js';
import { startServer } from './serve.js';
import { CAIRN_VERSION } from '../server/service.js';

const USAGE = `usage: cairn <command> [flags]

commands:
  serve      run a member (etcd's flags: --name, --data-dir, --listen-client-urls, ...)
  version    print the version

Run 'cairn serve --help' for the server's flags.`;

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
  const server = await startServer(config);
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
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
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
      console.error(`cairn: unknown command "${command}"\n\n${USAGE}`);
      process.exit(2);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`cairn: ${(err as Error).message ?? String(err)}`);
  process.exit(1);
});
