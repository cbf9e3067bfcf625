/**
 * etcd's v3 gRPC API as a grpc-js server that owns no socket: the client listener hands it the
 * connections that open with the HTTP/2 preface (port-sharing.ts). Every RPC translates to one
 * call on the KV service, the same the JSON gateway makes (DESIGN.md: request logic lives once).
 * Lock and Election run clientv3's mutex and election recipes on the same service, as the caller
 * sees it (src/api/recipes, recipes.ts).
 */
import type { Http2Server, ServerHttp2Session } from 'node:http2';
import type { Socket } from 'node:net';
import { Server, ServerCredentials, status as grpcStatus } from '@grpc/grpc-js';
import type { handleUnaryCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import type { Auth, Credentials, KV } from '../api/kv.js';
import { AUTH, UNARY, type Rpc } from '../api/rpcs.js';
import { KvError } from '../util/errors.js';
import type { Limits } from '../http/limits.js';
import type { ByteBudget } from '../util/byte-budget.js';
import { budgetedRange, callCredentials, unary, type GrpcContext } from './calls.js';
import { serviceDefinition, type Sized } from './definitions.js';
import { LeaderMonitor } from './leader-monitor.js';
import { grpcMetrics } from './metrics.js';
import { electionService, lockService } from './recipes.js';
import type { ProtoObject } from './proto-object.js';
import { enforcePingPolicy } from './ping-policy.js';
import { leaseKeepAliveCall, snapshotCall, watchCall } from './streams.js';

export interface GrpcServer {
  /** Serves one accepted connection whose first bytes (the preface) are still unread. */
  injectConnection(socket: Socket): void;
  /** Ends every gRPC connection now (open streams fail). */
  close(): void;
}

/** etcd's Auth RPCs, by gRPC method name, each served by the `Auth` method of the same name. */
function authImplementations(ctx: GrpcContext): UntypedServiceImplementation {
  const out: UntypedServiceImplementation = {};
  for (const method of Object.keys(AUTH) as (keyof typeof AUTH)[]) {
    const grpcName = `${method.charAt(0).toUpperCase()}${method.slice(1)}`;
    const rpc = AUTH[method] as Rpc<unknown, unknown>;
    out[grpcName] = unary(ctx, rpc, (r, _s, call) => {
      const auth = ctx.authFor(call);
      return (auth[method] as (req: unknown) => Promise<unknown>).call(auth, r);
    });
  }
  return out;
}

function implementations(ctx: GrpcContext): Record<string, UntypedServiceImplementation> {
  return {
    'etcdserverpb.KV': {
      Range: budgetedRange(ctx),
      Put: unary(ctx, UNARY.put, (r, s) => s.put(r)),
      DeleteRange: unary(ctx, UNARY.deleteRange, (r, s) => s.deleteRange(r)),
      Txn: unary(ctx, UNARY.txn, (r, s) => s.txn(r)),
      Compact: unary(ctx, UNARY.compact, (r, s) => s.compact(r)),
    },
    'etcdserverpb.Watch': { Watch: watchCall(ctx) },
    'etcdserverpb.Lease': {
      LeaseGrant: unary(ctx, UNARY.leaseGrant, (r, s) => s.leaseGrant(r)),
      LeaseRevoke: unary(ctx, UNARY.leaseRevoke, (r, s) => s.leaseRevoke(r)),
      LeaseKeepAlive: leaseKeepAliveCall(ctx),
      LeaseTimeToLive: unary(ctx, UNARY.leaseTimeToLive, (r, s) => s.leaseTimeToLive(r)),
      LeaseLeases: unary(ctx, UNARY.leaseLeases, (_r, s) => s.leaseLeases()),
    },
    'etcdserverpb.Cluster': {
      MemberAdd: unary(ctx, UNARY.memberAdd, (r, s) => s.memberAdd(r)),
      MemberRemove: unary(ctx, UNARY.memberRemove, (r, s) => s.memberRemove(r)),
      MemberUpdate: unary(ctx, UNARY.memberUpdate, (r, s) => s.memberUpdate(r)),
      MemberList: unary(ctx, UNARY.memberList, (r, s) => s.memberList(r)),
      MemberPromote: unary(ctx, UNARY.memberPromote, (r, s) => s.memberPromote(r)),
    },
    'etcdserverpb.Maintenance': {
      Alarm: unary(ctx, UNARY.alarm, (r, s) => s.alarm(r)),
      Status: unary(ctx, UNARY.status, (_r, s) => s.status()),
      Defragment: unary(ctx, UNARY.defragment, (_r, s) => s.defragment()),
      Hash: unary(ctx, UNARY.hash, (_r, s) => s.hash()),
      HashKV: unary(ctx, UNARY.hashKV, (r, s) => s.hashKV(r)),
      Snapshot: snapshotCall(ctx),
      MoveLeader: unary(ctx, UNARY.moveLeader, (r, s) => s.moveLeader(r)),
    },
    'etcdserverpb.Auth': authImplementations(ctx),
    'v3lockpb.Lock': lockService(ctx),
    'v3electionpb.Election': electionService(ctx),
    // etcd registers the standard health service: "" is SERVING, any other name is unknown.
    'grpc.health.v1.Health': {
      Check: ((call, callback) => {
        if ((call.request.message['service'] ?? '') === '') callback(null, { status: 'SERVING' });
        else callback({ code: grpcStatus.NOT_FOUND, details: 'unknown service' });
      }) satisfies handleUnaryCall<Sized, ProtoObject>,
    },
  };
}

/**
 * The HTTP/2 server grpc-js made for our connection injector: the only place its sessions (and so
 * the PINGs clients send) can be seen. grpc-js keeps it in a private map and offers no hook, so a
 * grpc-js that stops doing so fails here at start-up rather than silently enforcing nothing.
 */
function injectorHttp2Server(server: Server): Http2Server {
  const servers = (server as unknown as { http2Servers?: unknown }).http2Servers;
  const found = servers instanceof Map && servers.size === 1 ? (servers.keys().next().value as unknown) : undefined;
  if (found === undefined || typeof (found as Http2Server).on !== 'function') {
    throw new Error('@grpc/grpc-js no longer keeps its HTTP/2 servers where cairn looks: --grpc-keepalive-min-time cannot be enforced');
  }
  return found as Http2Server;
}

/** Every service registered, by its full proto name. */
export const SERVED_SERVICES: readonly string[] = Object.keys(implementations({} as GrpcContext));

export interface GrpcServerOptions {
  /** etcd's --grpc-keepalive-interval: the server pings an idle connection this often. */
  readonly keepaliveIntervalMs: number;
  /** etcd's --grpc-keepalive-timeout: a ping unanswered this long closes the connection. */
  readonly keepaliveTimeoutMs: number;
  /** etcd's --grpc-keepalive-min-time: clients pinging more often are sent away (ping-policy.ts). */
  readonly keepaliveMinTimeMs: number;
  /** The member's election timeout: how often `hasleader` streams' leader is checked. */
  readonly electionTimeoutMs: number;
  /**
   * Whether the member knows a leader, read from its raft state. Without it the check asks the
   * service for its status, which also sizes the data dir (a readdir and a stat per file) — too
   * much for every election timeout and every `hasleader` call.
   */
  readonly hasLeader?: () => boolean;
}

/**
 * `registry`, when given, gets etcd's grpc_server_* metrics; `options` etcd's keepalive and leader
 * monitoring. `caller`, when given, is the member as one caller sees it (auth checked there); each
 * call builds one from its `token` metadata, or with `clientCertIdentity` (--client-cert-auth)
 * from its verified client certificate's CN.
 */
export function createGrpcServer(
  service: KV,
  limits: Limits,
  rangeBudget: ByteBudget,
  registry?: Registry,
  options?: GrpcServerOptions,
  caller?: (credentials: Credentials) => KV & Auth,
  clientCertIdentity = false,
): GrpcServer {
  const server = new Server({
    interceptors: registry === undefined ? [] : [grpcMetrics(registry)],
    // Requests up to twice etcd's limit are read so the handler can refuse them in etcd's words.
    'grpc.max_receive_message_length': 2 * limits.grpcMessageBytes,
    'grpc.max_send_message_length': -1,
    ...(options === undefined ? {} : { 'grpc.keepalive_time_ms': options.keepaliveIntervalMs, 'grpc.keepalive_timeout_ms': options.keepaliveTimeoutMs }),
  });
  const knowsLeader = options?.hasLeader;
  const hasLeader = knowsLeader !== undefined ? async () => knowsLeader() : async () => (await service.status()).leader !== 0n;
  const leaderMonitor = options === undefined ? undefined : new LeaderMonitor(hasLeader, options.electionTimeoutMs);
  for (const [name, impl] of Object.entries(implementations({
    service,
    limits,
    rangeBudget,
    hasLeader,
    ...(leaderMonitor ? { leaderMonitor } : {}),
    serviceFor: caller === undefined ? () => service : (call) => caller(callCredentials(call, clientCertIdentity)),
    authFor: (call) => {
      if (caller === undefined) throw new KvError('Unimplemented', 'unknown service etcdserverpb.Auth');
      return caller(callCredentials(call, clientCertIdentity));
    },
  }))) {
    server.addService(serviceDefinition(name), impl);
  }
  const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
  if (options !== undefined) {
    const minTimeMs = options.keepaliveMinTimeMs;
    injectorHttp2Server(server).on('session', (session: ServerHttp2Session) => enforcePingPolicy(session, minTimeMs));
  }
  return {
    injectConnection: (socket) => injector.injectConnection(socket),
    close: () => {
      leaderMonitor?.stop();
      // Open streams (watches, keep-alives) would hold a graceful close open: cancel them now,
      // as the gateway's forceCloseConnections does.
      injector.drain(0);
      injector.destroy();
    },
  };
}
