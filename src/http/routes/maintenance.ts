/**
 * `/v3/maintenance/*`: etcd's Maintenance service. HashKV is served on `/v3/maintenance/hashkv`
 * as etcd ≥ 3.5.10 does (older releases shadowed it behind Hash). The snapshot streams the
 * backend in 32 KiB blobs with `remaining_bytes`, then etcd's SHA-256 of everything sent.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Snapshot, SnapshotChunk } from '../../api/kv.js';
import { encodeMessage } from '../../api/json.js';
import { STREAMING, UNARY } from '../../api/rpcs.js';
import type { HttpContext } from '../context.js';
import { sendError } from '../errors.js';
import { ResultStream } from '../stream.js';
import { readRequest, unaryRoute } from '../unary.js';

/** etcd's snapshot chunk size (v3rpc/maintenance.go snapshotSendBufferSize). */
export const SNAPSHOT_CHUNK_BYTES = 32 * 1024;

/** Re-cuts the backend's bytes into etcd-sized blobs. */
async function* blobs(snapshot: Snapshot): AsyncGenerator<Uint8Array> {
  let pending = new Uint8Array(0);
  for await (const chunk of snapshot.chunks) {
    const joined = new Uint8Array(pending.length + chunk.length);
    joined.set(pending);
    joined.set(chunk, pending.length);
    let at = 0;
    for (; joined.length - at >= SNAPSHOT_CHUNK_BYTES; at += SNAPSHOT_CHUNK_BYTES) {
      yield joined.subarray(at, at + SNAPSHOT_CHUNK_BYTES);
    }
    pending = joined.slice(at);
  }
  if (pending.length > 0) yield pending;
}

/** etcd's bolt page size: etcdctl takes a snapshot as pages plus a 32-byte SHA-256. */
const PAGE_BYTES = 512;
/** msgpack's nil: the backend's chunk reader skips it (src/storage/backend-chunks.ts). */
const MSGPACK_NIL = 0xc0;

const paddingFor = (bytes: number): number => (PAGE_BYTES - (bytes % PAGE_BYTES)) % PAGE_BYTES;

/**
 * etcd's snapshot stream: the blobs with the bytes still to come, then the SHA-256 of them all.
 * The bytes are padded with msgpack nils to a multiple of 512: `etcdctl snapshot save` refuses
 * a file whose length is not 32 more than a multiple of 512 ("sha256 checksum not found").
 */
export async function* snapshotChunks(snapshot: Snapshot): AsyncGenerator<SnapshotChunk> {
  const sha = createHash('sha256');
  const total = snapshot.totalBytes + paddingFor(snapshot.totalBytes);
  let sent = 0;
  for await (const blob of blobs(snapshot)) {
    sha.update(blob);
    sent += blob.length;
    yield { remainingBytes: Math.max(0, total - sent), blob };
  }
  const padding = paddingFor(sent);
  if (padding > 0) {
    const blob = new Uint8Array(padding).fill(MSGPACK_NIL);
    sha.update(blob);
    sent += padding;
    yield { remainingBytes: Math.max(0, total - sent), blob };
  }
  yield { remainingBytes: 0, blob: new Uint8Array(sha.digest()) };
}

function snapshotRoute(app: FastifyInstance, ctx: HttpContext): void {
  const { path, request: requestDesc, response } = STREAMING.snapshot;
  ctx.gatewayPaths.add(path);
  app.post(path, async (request, reply) => {
    try {
      await readRequest(ctx, request.raw, requestDesc);
    } catch (err) {
      return sendError(reply, err);
    }
    // From here failures are stream errors, as grpc-gateway reports a failed first Recv.
    reply.hijack();
    const out = new ResultStream(reply.raw);
    try {
      for await (const chunk of snapshotChunks(await ctx.serviceFor(request).snapshot())) {
        if (out.closed) return;
        await out.write(encodeMessage(response, chunk));
      }
      out.end();
    } catch (err) {
      out.fail(err);
    }
  });
}

export function maintenanceRoutes(app: FastifyInstance, ctx: HttpContext): void {
  unaryRoute(app, ctx, UNARY.status, (_req, service) => service.status());
  unaryRoute(app, ctx, UNARY.hash, (_req, service) => service.hash());
  unaryRoute(app, ctx, UNARY.hashKV, (req, service) => service.hashKV(req));
  unaryRoute(app, ctx, UNARY.alarm, (req, service) => service.alarm(req));
  unaryRoute(app, ctx, UNARY.defragment, (_req, service) => service.defragment());
  unaryRoute(app, ctx, UNARY.moveLeader, (req, service) => service.moveLeader(req));
  snapshotRoute(app, ctx);
}
