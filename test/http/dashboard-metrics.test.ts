/**
 * After a workload, the queries of etcd's Grafana dashboard (etcd's op-guide grafana.json) have
 * data in cairn's /metrics: RPC rate and failed RPCs, active watch streams, DB size, memory,
 * proposals, leader changes, WAL fsync — evaluated here as sums over label selectors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCliNode, type CliNode } from '../cli/commands-node.js';

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1] as string, l[2] as string]));
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return samples;
}

/** `sum(name{a="x",b!="y"})` over the samples; undefined when no series matches (an empty panel). */
function sum(samples: readonly Sample[], selector: string): number | undefined {
  const m = /^(\w+)(?:\{(.*)\})?$/.exec(selector) as RegExpExecArray;
  const matchers = [...(m[2] ?? '').matchAll(/(\w+)(!?=)"([^"]*)"/g)].map((x) => ({ label: x[1] as string, op: x[2], value: x[3] }));
  const hits = samples.filter((s) => s.name === m[1] && matchers.every((x) => (s.labels[x.label] === x.value) === (x.op === '=')));
  return hits.length === 0 ? undefined : hits.reduce((a, s) => a + s.value, 0);
}

let n: CliNode;
let samples: Sample[];
beforeAll(async () => {
  n = await startCliNode();
  await n.cli(['put', 'a', '1']);
  await n.cli(['get', 'a']);
  await n.cli(['get', 'a', '--rev', '999']); // fails: a future revision (OutOfRange)
  await n.cli(['lease', 'grant', '30']);
  const stop = new AbortController();
  const watching = n.cli(['watch', 'a'], { signal: stop.signal, onStdout: () => undefined });
  await new Promise((r) => setTimeout(r, 200));
  const during = parseExposition(await (await fetch(`${n.url}/metrics`)).text());
  expect(sum(during, 'grpc_server_started_total{grpc_service="etcdserverpb.Watch",grpc_type="bidi_stream"}')! - (sum(during, 'grpc_server_handled_total{grpc_service="etcdserverpb.Watch",grpc_type="bidi_stream"}') ?? 0)).toBe(1);
  stop.abort();
  await watching;
  // The server sees the watch stream close a moment after the client drops it.
  const deadline = Date.now() + 5000;
  do samples = parseExposition(await (await fetch(`${n.url}/metrics`)).text());
  while (sum(samples, 'grpc_server_handled_total{grpc_method="Watch"}') === undefined && Date.now() < deadline && (await new Promise((r) => setTimeout(r, 50)), true));
});
afterAll(async () => {
  await n.close();
});

describe('etcd dashboard queries have data', () => {
  it.each([
    ['RPC rate', 'grpc_server_started_total{grpc_type="unary"}'],
    ['RPC failed rate', 'grpc_server_handled_total{grpc_type="unary",grpc_code!="OK"}'],
    ['watch streams started', 'grpc_server_started_total{grpc_service="etcdserverpb.Watch",grpc_type="bidi_stream"}'],
    ['watch streams ended', 'grpc_server_handled_total{grpc_service="etcdserverpb.Watch",grpc_type="bidi_stream"}'],
    ['RPC latency', 'grpc_server_handling_seconds_count{grpc_type="unary"}'],
    ['DB size', 'etcd_mvcc_db_total_size_in_bytes'],
    ['memory', 'process_resident_memory_bytes'],
    ['proposals committed', 'etcd_server_proposals_committed_total'],
    ['proposals applied', 'etcd_server_proposals_applied_total'],
    ['leader changes', 'etcd_server_leader_changes_seen_total'],
    ['WAL fsync', 'etcd_disk_wal_fsync_duration_seconds_count'],
    ['backend commit', 'etcd_disk_backend_commit_duration_seconds_count'],
    ['DB size in use', 'etcd_mvcc_db_total_size_in_use_in_bytes'],
    ['has leader', 'etcd_server_has_leader'],
  ])('%s: %s', (_panel, selector) => {
    expect(sum(samples, selector), selector).toBeGreaterThan(0);
  });

  it('labels failures with the gRPC code etcd would return', () => {
    expect(sum(samples, 'grpc_server_handled_total{grpc_method="Range",grpc_code="OutOfRange"}')).toBe(1);
    expect(sum(samples, 'grpc_server_handled_total{grpc_method="Put",grpc_code="OK"}')).toBe(1);
    expect(sum(samples, 'nodejs_eventloop_lag_seconds')).toBeDefined();
  });
});
