/**
 * etcd's gRPC server metrics (go-grpc-prometheus, which etcd registers): RPCs started and
 * handled, stream messages received and sent, with etcd's label names and values, so etcd's
 * Grafana panels ("RPC Rate", "Active Streams" = started − handled) fill for cairn too. Counted
 * in a grpc-js server interceptor, so every registered RPC is covered in one place.
 */
import { ServerInterceptingCall, type MethodDefinition, type ServerInterceptor } from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import { GrpcCode } from '../util/errors.js';
import { talliedCounter, type CounterTally } from '../util/metric-tally.js';

/** Go's codes.Code names (GrpcCode's keys), as go-grpc-prometheus writes grpc_code. */
const CODE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(GrpcCode).map(([name, code]) => [code, name]));

type Definition = Pick<MethodDefinition<unknown, unknown>, 'requestStream' | 'responseStream'>;

function grpcType(m: Definition): string {
  if (m.requestStream) return m.responseStream ? 'bidi_stream' : 'client_stream';
  return m.responseStream ? 'server_stream' : 'unary';
}

export function grpcMetrics(registry: Registry): ServerInterceptor {
  // Label names in Go's (sorted) order, so /metrics prints them as etcd does.
  const base = ['grpc_method', 'grpc_service', 'grpc_type'] as const;
  const counter = (name: string, help: string, labelNames: readonly string[]) => talliedCounter(registry, name, help, labelNames);
  const started = counter('grpc_server_started_total', 'Total number of RPCs started on the server.', base);
  const handled = counter('grpc_server_handled_total', 'Total number of RPCs completed on the server, regardless of success or failure.', ['grpc_code', ...base]);
  const received = counter('grpc_server_msg_received_total', 'Total number of RPC stream messages received on the server.', base);
  const sent = counter('grpc_server_msg_sent_total', 'Total number of gRPC stream messages sent by the server.', base);
  // One set of tallies per method path: counting a message is then a field increment, which
  // matters at one sent message per watcher per event.
  const byPath = new Map<string, { labels: Record<string, string>; started: CounterTally; received: CounterTally; sent: CounterTally; handled: Map<number, CounterTally> }>();

  return (method, call) => {
    let series = byPath.get(method.path);
    if (series === undefined) {
      const slash = method.path.lastIndexOf('/');
      const labels = { grpc_method: method.path.slice(slash + 1), grpc_service: method.path.slice(1, slash), grpc_type: grpcType(method) };
      series = { labels, started: started.series(labels), received: received.series(labels), sent: sent.series(labels), handled: new Map() };
      byPath.set(method.path, series);
    }
    const s = series;
    s.started.inc();
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMessage: (message, pass) => {
            s.received.inc();
            pass(message);
          },
        }),
      sendMessage: (message, pass) => {
        s.sent.inc();
        pass(message);
      },
      sendStatus: (status, pass) => {
        let byCode = s.handled.get(status.code);
        if (byCode === undefined) {
          byCode = handled.series({ grpc_code: CODE_NAMES[status.code] ?? String(status.code), ...s.labels });
          s.handled.set(status.code, byCode);
        }
        byCode.inc();
        pass(status);
      },
    });
  };
}
