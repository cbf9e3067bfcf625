/**
 * How one gRPC call meets the service: etcd's limits and `hasleader` metadata checked first,
 * the request translated to the API's types, failures answered with etcd's status code and text
 * (the rpctypes table lives once, in src/util/errors.ts).
 */
import type { Metadata, ServerDuplexStream, ServerUnaryCall, ServerWritableStream, ServiceError, handleUnaryCall } from '@grpc/grpc-js';
import type { Auth, Credentials, KV } from '../api/kv.js';
import { UNARY, type Rpc } from '../api/rpcs.js';
import { commonNameOf } from '../http/client-cert.js';
import { toKvError } from '../http/errors.js';
import type { Limits } from '../http/limits.js';
import { KvError } from '../util/errors.js';
import type { ByteBudget } from '../util/byte-budget.js';
import type { Sized } from './definitions.js';
import type { LeaderMonitor } from './leader-monitor.js';
import { fromProto, toProto, type ProtoObject } from './proto-object.js';

/** What says who a call's caller is: its metadata, and the TLS connection it came on. */
export type CallInfo = Pick<ServerUnaryCall<Sized, ProtoObject>, 'metadata' | 'getAuthContext'>;

export interface GrpcContext {
  /** The member without a caller. Calls go through `serviceFor`. */
  readonly service: KV;
  /** The member as the caller of this call sees it (auth checked there). */
  serviceFor(call: CallInfo): KV;
  /** The Auth service for the caller of this call (unimplemented without one). */
  authFor(call: CallInfo): Auth;
  readonly limits: Limits;
  /** Bytes of range responses in flight, shared with the gateway's listeners (byte-budget.ts). */
  readonly rangeBudget: ByteBudget;
  /** Whether the member knows a leader now (the `hasleader` check). */
  hasLeader(): Promise<boolean>;
  /** Ends `hasleader` streams once the member has had no leader for a while (absent: never). */
  readonly leaderMonitor?: LeaderMonitor;
}

/** A failure as the status grpc-js sends: etcd's code and its message text. */
export function toStatus(err: unknown): Partial<ServiceError> {
  const e = toKvError(err);
  return { code: e.grpcCode, details: e.message };
}

/** etcd's gRPC receive limit (max-request-bytes + 512 KiB), with grpc-go's wording. */
export function checkSize(ctx: GrpcContext, size: number): void {
  const max = ctx.limits.grpcMessageBytes;
  if (size > max) throw new KvError('GrpcMessageTooLarge', `grpc: received message larger than max (${size} vs. ${max})`);
}

/** `hasleader: true` (etcdctl watch and keep-alive, clientv3 WithRequireLeader): fail fast without a leader. */
export async function requireLeader(ctx: GrpcContext, metadata: Metadata): Promise<void> {
  if (metadata.get('hasleader')[0] !== 'true') return;
  if (!(await ctx.hasLeader().catch(() => false))) throw new KvError('NoLeader');
}

export function decodeRequest<Req>(ctx: GrpcContext, rpc: Rpc<Req, unknown>, req: Sized): Req {
  checkSize(ctx, req.size);
  return fromProto(rpc.request, req.message);
}

/** etcd's clients send the token as metadata `token` (`authorization` is read too, etcd-auth-tls §4.2). */
export function credentialsOf(metadata: Metadata): Credentials {
  const value = metadata.get('token')[0] ?? metadata.get('authorization')[0];
  if (typeof value !== 'string' || value === '') return {};
  return { token: /^bearer /i.test(value) ? value.slice('bearer '.length).trim() : value };
}

/**
 * The call's token and, with --client-cert-auth (`certIdentity`), the CN of the verified client
 * certificate of its TLS connection: etcd's AuthInfoFromTLS, used when no token is sent (a token
 * wins, etcd-auth-tls §6). grpc-js reports a certificate only for an authorized TLS socket. A
 * certificate without a CN gives `''`: etcd's user "" (`permission denied` on keys, code 7),
 * not the anonymous caller (`user name is empty`, code 3).
 */
export function callCredentials(call: CallInfo, certIdentity: boolean): Credentials {
  const fromMetadata = credentialsOf(call.metadata);
  if (!certIdentity) return fromMetadata;
  const certificate = call.getAuthContext().sslPeerCertificate;
  if (certificate === undefined) return fromMetadata;
  return { ...fromMetadata, commonName: commonNameOf(certificate) ?? '' };
}

/** One unary RPC served by `call`, given the member as the call's caller sees it. */
export function unary<Req, Res>(
  ctx: GrpcContext,
  rpc: Rpc<Req, Res>,
  call: (req: Req, service: KV, info: CallInfo) => Promise<Res>,
): handleUnaryCall<Sized, ProtoObject> {
  return (c, callback) => {
    void (async () => {
      await requireLeader(ctx, c.metadata);
      const res = await call(decodeRequest(ctx, rpc, c.request), ctx.serviceFor(c), c);
      callback(null, toProto(rpc.response, res));
    })().catch((err: unknown) => callback(toStatus(err)));
  };
}

/**
 * Range under the member-wide budget, as the gateway's (http/routes/kv.ts): charged as values are
 * read, held until the response is handed to the transport.
 */
export function budgetedRange(ctx: GrpcContext): handleUnaryCall<Sized, ProtoObject> {
  return (c, callback) => {
    void (async () => {
      await requireLeader(ctx, c.metadata);
      const lease = ctx.rangeBudget.lease();
      try {
        const res = await ctx.serviceFor(c).range(decodeRequest(ctx, UNARY.range, c.request), { charge: (bytes) => lease.charge(bytes) });
        callback(null, toProto(UNARY.range.response, res));
      } finally {
        lease.release();
      }
    })().catch((err: unknown) => callback(toStatus(err)));
  };
}

type OutStream = ServerWritableStream<Sized, unknown> | ServerDuplexStream<Sized, unknown>;

/** Writes one message; resolves once the transport can take more, or the call is gone. */
export async function send(call: OutStream, message: unknown): Promise<void> {
  await writeOrWait(call, message);
}

/**
 * Writes one message; returns a promise only when the transport is full (it resolves on
 * 'drain' or once the call is gone). Undefined, not a resolved promise, when there is nothing
 * to wait for: a watch stream draining a fan-out writes once per watcher per revision (issue 18).
 */
export function writeOrWait(call: OutStream, message: unknown): Promise<void> | undefined {
  if (call.cancelled || call.destroyed) return undefined;
  if (call.write(message)) return undefined;
  return new Promise<void>((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      call.off('cancelled', done);
      call.off('close', done);
      resolve();
    };
    call.on('drain', done);
    call.on('cancelled', done);
    call.on('close', done);
  });
}

/** Ends a stream with etcd's status for `err` (ignored once the client has gone). */
export function failStream(call: OutStream, err: unknown): void {
  if (call.cancelled || call.destroyed) return;
  call.emit('error', toStatus(err));
}

/**
 * A stream that asked for a leader (`hasleader: true`) is ended by `end` once the member has had
 * none for three election timeouts (leader-monitor.ts); returns the function that stops that.
 */
export function endWithoutLeader(ctx: GrpcContext, metadata: Metadata, end: (err: KvError) => void): () => void {
  if (ctx.leaderMonitor === undefined || metadata.get('hasleader')[0] !== 'true') return () => undefined;
  return ctx.leaderMonitor.track(end);
}
