/**
 * `cairn`: embed a member in your process. `startNode()` recovers or creates the member in
 * `dataDir` and returns the same `KV` interface the HTTP client implements, plus `close()`.
 * A single-member node needs no network; with peers, members talk over TCP as `cairn serve`.
 * Pass `http: true` to also serve etcd's gateway and gRPC API on the client URLs. Options take
 * `cairn serve`'s defaults and derivations (a new member alone in a cluster of its advertised
 * peer URLs). A storage failure stops the member and resolves `failed`; it never ends the host
 * process.
 */
import { randomInt } from 'node:crypto';
import type { KV } from './api/kv.js';
import { openMemberDataDir, startMember, startServer } from './cli/serve.js';
import { completeConfig } from './server/config-complete.js';
import type { MemberConfig } from './server/config.js';
import { silentLogger, type Logger } from './server/logger.js';
import { Member } from './server/member.js';
import { MemberService } from './server/service.js';
import { MemoryNetwork } from './transport/memory-network.js';
import { MemoryTransport } from './transport/memory-transport.js';
import { TcpTransport } from './transport/tcp-transport.js';
import { SystemClock } from './util/clock.js';
import { SeededRng } from './util/rng.js';

export type { KV } from './api/kv.js';
export type * from './api/kv.js';
export type { MemberConfig } from './server/config.js';
export type { Logger } from './server/logger.js';
export { Member } from './server/member.js';
export { KvError, isKvError } from './util/errors.js';

export interface StartNodeOptions extends Partial<MemberConfig> {
  /** Also serve etcd's HTTP gateway and gRPC API on `listenClientUrls`. */
  readonly http?: boolean;
  /**
   * Where the member logs (pino's Logger fits). Default: nowhere without `http`; with it, as
   * `cairn serve` does (JSON lines on stderr). `false`: nowhere.
   */
  readonly logger?: Logger | false;
}

export interface CairnNode extends KV {
  readonly member: Member;
  /** Where the gateway listens (empty without `http`). */
  readonly clientUrls: readonly string[];
  /**
   * Resolves with the error if the member stops on a storage failure (a full, read-only or
   * failing disk): it then answers every request with "etcdserver: server stopped". It never
   * rejects, and the node never exits your process; call `close()` and decide what to do.
   */
  readonly failed: Promise<Error>;
  close(): Promise<void>;
}

class EmbeddedNode extends MemberService implements CairnNode {
  constructor(
    member: Member,
    readonly clientUrls: readonly string[],
    private readonly stop: () => Promise<void>,
  ) {
    super(member);
    this.failed = member.whenFailed();
  }

  readonly failed: Promise<Error>;

  close(): Promise<void> {
    return this.stop();
  }
}

export async function startNode(options: StartNodeOptions = {}): Promise<CairnNode> {
  const { http, logger, ...overrides } = options;
  const config = completeConfig(overrides);
  if (http) {
    const server = await startServer(config, { logger });
    return new EmbeddedNode(server.member, server.clientUrls, () => server.stop());
  }
  const dataDir = await openMemberDataDir(config.dataDir);
  const clock = new SystemClock();
  const rng = new SeededRng(randomInt(2 ** 31));
  const alone = config.initialCluster.size === 1;
  const network = new MemoryNetwork();
  // A start that fails releases the data dir's lock, so the host may try again.
  const member = await startMember({
    config,
    dataDir,
    clock,
    rng,
    logger: logger === false || logger === undefined ? silentLogger : logger,
    transport: (handler, ids) =>
      alone
        ? new MemoryTransport({ id: ids.memberId, clusterId: ids.clusterId.toString(16), url: config.listenPeerUrls[0] as string, network, handler })
        : new TcpTransport({ id: ids.memberId, clusterId: ids.clusterId.toString(16), listenUrl: config.listenPeerUrls[0] as string, handler, clock, rng }),
  });
  return new EmbeddedNode(member, [], () => member.stop());
}
