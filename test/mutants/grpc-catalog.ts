/**
 * gRPC behaviours that only a client on the wire sees, each pinned beside etcd 3.4.23: the
 * keepalive ping policy (grpc-go's EnforcementPolicy), the identity of a CN-less client
 * certificate (etcd's AuthInfoFromTLS) and the Watch responses cairn encodes by hand.
 */
import type { Mutation } from './mutation.js';

export const catalog: Mutation[] = [
  {
    name: 'grpc-ping-strikes-never-forgiven',
    file: 'src/grpc/ping-policy.ts',
    find: '    onEverySend(stream, () => strikes.sent());',
    replace: '',
    tests: ['test/grpc/ping-policy.test.ts'],
    why: "grpc-go resets a connection's ping strikes whenever the server sends HEADERS or DATA: a client whose pings interleave with answers is never sent away",
  },
  {
    name: 'grpc-ping-policy-counts-only-streams',
    file: 'src/grpc/ping-policy.ts',
    find: 'const allowedMs = openStreams > 0 ? this.minTimeMs : IDLE_PING_INTERVAL_MS;',
    replace: 'const allowedMs = this.minTimeMs;',
    tests: ['test/grpc/ping-policy.test.ts'],
    why: 'etcd installs PermitWithoutStream: false, so a ping without an open stream is a strike unless two hours have passed',
  },
  {
    name: 'grpc-cn-less-certificate-anonymous',
    file: 'src/grpc/calls.ts',
    find: "commonName: commonNameOf(certificate) ?? ''",
    replace: 'commonName: commonNameOf(certificate)',
    tests: ['test/tls/cert-identity.test.ts'],
    why: 'etcd takes a CN-less certificate as the user "" (7 permission denied on keys), not as a caller without a name (3 user name is empty)',
  },
  {
    name: 'grpc-watch-encode-drops-prev-kv',
    file: 'src/grpc/watch-encode.ts',
    find: '    if (ev.prevKv !== undefined) pieces.push(bytesField(3, keyValueBytes(ev.prevKv)));',
    replace: '',
    tests: ['test/grpc/watch-encode.test.ts', 'test/grpc/watch-fanout.test.ts'],
    why: 'Watch responses are written by hand, not by proto-loader: an event field left out reaches every watcher of the event, and only a client decoding the bytes sees it',
  },
  {
    name: 'grpc-watch-encode-32-bit-ids',
    file: 'src/grpc/proto-wire.ts',
    find: 'return BigInt.asUintN(64, BigInt(v));',
    replace: 'return BigInt.asUintN(32, BigInt(v));',
    tests: ['test/grpc/watch-encode.test.ts'],
    why: 'cluster and member IDs in a watch header are 64-bit; a hand-written varint that keeps fewer bits sends another cluster ID (and a negative watch ID as a large positive one)',
  },
];
