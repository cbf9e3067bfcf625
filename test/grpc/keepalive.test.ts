/**
 * etcd's --grpc-keepalive-interval and --grpc-keepalive-timeout: the server pings an idle gRPC
 * connection every interval (grpc-js's keepalive_time_ms), parsed from Go durations as etcd's.
 */
import { connect } from 'node:http2';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseServeFlags } from '../../src/cli/serve-flags.js';
import { FlagError } from '../../src/cli/flags.js';
import { startNode, type CairnNode } from '../../src/index.js';
import { freePort } from '../e2e/processes.js';

let node: CairnNode | undefined;
const dir = mkdtempSync(join(tmpdir(), 'cairn-keepalive-'));
afterAll(async () => {
  await node?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('gRPC keepalive', () => {
  it("takes etcd's flags as Go durations, with etcd's defaults", () => {
    const d = parseServeFlags([], {});
    expect([d.grpcKeepaliveMinTimeMs, d.grpcKeepaliveIntervalMs, d.grpcKeepaliveTimeoutMs]).toEqual([5_000, 7_200_000, 20_000]);
    const c = parseServeFlags(['--grpc-keepalive-min-time=1s', '--grpc-keepalive-interval', '1m30s', '--grpc-keepalive-timeout=500ms'], {});
    expect([c.grpcKeepaliveMinTimeMs, c.grpcKeepaliveIntervalMs, c.grpcKeepaliveTimeoutMs]).toEqual([1_000, 90_000, 500]);
    expect(parseServeFlags([], { CAIRN_GRPC_KEEPALIVE_INTERVAL: '0' }).grpcKeepaliveIntervalMs).toBe(0);
    expect(() => parseServeFlags(['--grpc-keepalive-timeout=20'], {})).toThrow(FlagError);
    expect(() => parseServeFlags(['--grpc-keepalive-timeout=20'], {})).toThrow('time: invalid duration "20"');
  });

  it('pings an idle gRPC connection every --grpc-keepalive-interval', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const peer = `http://127.0.0.1:${await freePort()}`;
    node = await startNode({
      http: true, dataDir: join(dir, 'm'), listenClientUrls: [url], advertiseClientUrls: [url], listenPeerUrls: [peer], initialAdvertisePeerUrls: [peer],
      initialCluster: new Map([['default', [peer]]]), heartbeatIntervalMs: 10, electionTimeoutMs: 100, logger: false,
      grpcKeepaliveIntervalMs: 150, grpcKeepaliveTimeoutMs: 1_000,
    });
    // A bare HTTP/2 connection (the preface routes it to gRPC) that sends nothing else.
    const session = connect(url);
    try {
      const started = Date.now();
      const pings: number[] = [];
      let goaway: number | undefined;
      session.on('ping', () => pings.push(Date.now() - started));
      session.on('goaway', (code) => (goaway = code));
      await expect.poll(() => pings.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(5);
      expect(pings[0]).toBeGreaterThanOrEqual(100);
      // The client's ACKs of the server's own pings are not pings: no strikes against --grpc-keepalive-min-time.
      expect({ goaway, destroyed: session.destroyed }).toEqual({ goaway: undefined, destroyed: false });
    } finally {
      session.destroy();
    }
  });
});
