/**
 * Per-RPC metrics with the names and labels etcd exports through go-grpc-prometheus, so the
 * RPC panels of etcd's Grafana dashboard have data: grpc_server_started_total,
 * grpc_server_handled_total{grpc_code}, grpc_server_msg_received_total / _sent_total and the
 * grpc_server_handling_seconds histogram, each labelled grpc_type, grpc_service, grpc_method.
 * A gateway request counts as the gRPC call etcd's gateway would make for it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { STREAMING, UNARY } from '../api/rpcs.js';
import { GrpcCode } from '../util/errors.js';
import { talliedCounter, talliedHistogram, type CounterTally, type HistogramTally } from '../util/metric-tally.js';

type GrpcType = 'unary' | 'server_stream' | 'bidi_stream';
interface RpcLabels {
  readonly grpc_type: GrpcType;
  readonly grpc_service: string;
  readonly grpc_method: string;
}

/** etcd's service and method for each RPC the gateway serves. */
const NAMES: Readonly<Record<keyof typeof UNARY | keyof typeof STREAMING, readonly [string, string]>> = {
  range: ['KV', 'Range'], put: ['KV', 'Put'], deleteRange: ['KV', 'DeleteRange'], txn: ['KV', 'Txn'], compact: ['KV', 'Compact'],
  leaseGrant: ['Lease', 'LeaseGrant'], leaseRevoke: ['Lease', 'LeaseRevoke'], leaseTimeToLive: ['Lease', 'LeaseTimeToLive'],
  leaseLeases: ['Lease', 'LeaseLeases'], leaseKeepAlive: ['Lease', 'LeaseKeepAlive'],
  memberList: ['Cluster', 'MemberList'], memberAdd: ['Cluster', 'MemberAdd'], memberRemove: ['Cluster', 'MemberRemove'],
  memberUpdate: ['Cluster', 'MemberUpdate'], memberPromote: ['Cluster', 'MemberPromote'],
  status: ['Maintenance', 'Status'], hash: ['Maintenance', 'Hash'], hashKV: ['Maintenance', 'HashKV'], alarm: ['Maintenance', 'Alarm'],
  defragment: ['Maintenance', 'Defragment'], moveLeader: ['Maintenance', 'MoveLeader'], snapshot: ['Maintenance', 'Snapshot'],
  watch: ['Watch', 'Watch'],
};

const STREAM_TYPES: Readonly<Record<keyof typeof STREAMING, GrpcType>> = { watch: 'bidi_stream', leaseKeepAlive: 'bidi_stream', snapshot: 'server_stream' };

function rpcTable(): Map<string, RpcLabels> {
  const table = new Map<string, RpcLabels>();
  const add = (key: keyof typeof NAMES, rpc: { path: string; aliases: readonly string[] }, type: GrpcType) => {
    const [service, method] = NAMES[key];
    for (const path of [rpc.path, ...rpc.aliases]) table.set(path, { grpc_type: type, grpc_service: `etcdserverpb.${service}`, grpc_method: method });
  };
  for (const [key, rpc] of Object.entries(UNARY)) add(key as keyof typeof UNARY, rpc, 'unary');
  for (const [key, rpc] of Object.entries(STREAMING)) add(key as keyof typeof STREAMING, rpc, STREAM_TYPES[key as keyof typeof STREAMING]);
  return table;
}

const CODE_NAMES = new Map<number, string>(Object.entries(GrpcCode).map(([name, code]) => [code, name]));
const LABELS = ['grpc_type', 'grpc_service', 'grpc_method'] as const;

interface BoundSeries {
  readonly started: CounterTally;
  readonly received: CounterTally;
  readonly sent: CounterTally;
  readonly seconds: HistogramTally;
  /** grpc_server_handled_total by code, bound on first use. */
  readonly handled: Map<string, CounterTally>;
}

export function addRpcMetrics(app: FastifyInstance, registry: Registry): void {
  const table = rpcTable();
  const started = talliedCounter(registry, 'grpc_server_started_total', 'Total number of RPCs started on the server.', LABELS);
  const handled = talliedCounter(registry, 'grpc_server_handled_total', 'Total number of RPCs completed on the server, regardless of success or failure.', [...LABELS, 'grpc_code']);
  const received = talliedCounter(registry, 'grpc_server_msg_received_total', 'Total number of RPC stream messages received on the server.', LABELS);
  const sent = talliedCounter(registry, 'grpc_server_msg_sent_total', 'Total number of gRPC stream messages sent by the server.', LABELS);
  const seconds = talliedHistogram(registry, 'grpc_server_handling_seconds', 'Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.', LABELS, [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
  // Each RPC's series are looked up once: counting is then a field increment (metric-tally.ts).
  const bound = new Map<RpcLabels, BoundSeries>();
  const seriesOf = (labels: RpcLabels): BoundSeries => {
    let b = bound.get(labels);
    if (b === undefined) {
      b = { started: started.series({ ...labels }), received: received.series({ ...labels }), sent: sent.series({ ...labels }), seconds: seconds.series({ ...labels }), handled: new Map() };
      bound.set(labels, b);
    }
    return b;
  };
  const calls = new WeakMap<FastifyRequest, { labels: RpcLabels; code: string }>();

  app.addHook('onRequest', (req, reply, done) => {
    const labels = req.method === 'POST' ? table.get(req.url.split('?')[0] ?? '') : undefined;
    if (labels === undefined) return done();
    const call = { labels, code: 'OK' };
    calls.set(req, call);
    const series = seriesOf(labels);
    series.started.inc();
    series.received.inc();
    const start = process.hrtime.bigint();
    // 'close' also fires for streams (watch, keep-alive) that a client ends by disconnecting,
    // where fastify's onResponse does not: every started call is counted handled once.
    reply.raw.once('close', () => {
      let handledByCode = series.handled.get(call.code);
      if (handledByCode === undefined) {
        handledByCode = handled.series({ ...labels, grpc_code: call.code });
        series.handled.set(call.code, handledByCode);
      }
      handledByCode.inc();
      if (call.code === 'OK') series.sent.inc();
      series.seconds.observe(Number(process.hrtime.bigint() - start) / 1e9);
    });
    done();
  });
  // The gRPC code of an error is in its body ({"code":n}); a 5xx without one is Unknown.
  app.addHook('onSend', (req, reply, payload, done) => {
    const call = calls.get(req);
    if (call !== undefined && reply.statusCode >= 400) {
      const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : '';
      const m = /"code":\s*(\d+)/.exec(text);
      call.code = (m !== null ? CODE_NAMES.get(Number(m[1])) : undefined) ?? 'Unknown';
    }
    done(null, payload);
  });
}
