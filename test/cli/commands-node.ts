/**
 * A real member for the CLI tests: startNode with etcd's gateway on a free loopback port, and
 * `cli(...)` running a command against it through runCli (no child process).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNode, type CairnNode } from '../../src/index.js';
import { runCli, type RunCliOptions, type RunCliResult } from '../../src/cli/commands/run-cli.js';
import { freePort } from '../e2e/processes.js';
import type { MemberConfig } from '../../src/server/config.js';

export interface CliNode {
  readonly node: CairnNode;
  readonly url: string;
  /** The endpoint as etcdctl users write it: host:port. */
  readonly endpoint: string;
  cli(argv: readonly string[], o?: RunCliOptions): Promise<RunCliResult>;
  close(): Promise<void>;
}

/** `overrides`: extra member configuration (e.g. a low --bcrypt-cost for auth tests). */
export async function startCliNode(overrides: Partial<MemberConfig> = {}): Promise<CliNode> {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-cli-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const peer = `http://127.0.0.1:${await freePort()}`;
  const node = await startNode({
    http: true,
    dataDir: join(dir, 'member'),
    listenClientUrls: [url],
    advertiseClientUrls: [url],
    listenPeerUrls: [peer],
    initialAdvertisePeerUrls: [peer],
    initialCluster: new Map([['default', [peer]]]),
    heartbeatIntervalMs: 10,
    electionTimeoutMs: 100,
    // Quiet tests: a member's log lines would land on vitest's stderr, attributed to no test.
    logger: false,
    ...overrides,
  });
  const endpoint = `127.0.0.1:${port}`;
  return {
    node,
    url,
    endpoint,
    cli: (argv, o = {}) => runCli(['--endpoints', endpoint, ...argv], o),
    close: async () => {
      await node.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
