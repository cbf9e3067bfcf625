/**
 * The gRPC service definitions, loaded from the project's own .proto files (proto/, written from
 * etcd's wire facts: same packages, message names, field numbers and types). Each request
 * deserializer also reports the message's encoded size, so the handler can apply etcd's limits
 * with etcd's texts (grpc-js would answer its own wording).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import type { PackageDefinition } from '@grpc/proto-loader';
import type { ProtoObject } from './proto-object.js';

/** A request as the handlers see it: the decoded message and its size on the wire. */
export interface Sized {
  readonly size: number;
  readonly message: ProtoObject;
}

/** proto/ beside src/ when run from source, beside dist/ when run from the build. */
function protoDir(): string {
  for (const rel of ['../../proto/', '../../../proto/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}rpc.proto`)) return dir;
  }
  throw new Error('cairn: proto/rpc.proto not found beside the package');
}

let loaded: PackageDefinition | undefined;

/** Every service and message of proto/, as proto-loader loads them (serializers unwrapped). */
export function packageDefinition(): PackageDefinition {
  loaded ??= loadSync(['rpc.proto', 'auth.proto', 'health.proto', 'v3lock.proto', 'v3election.proto'], {
    includeDirs: [protoDir()],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: false,
  });
  return loaded;
}

type AnyMethod = MethodDefinition<unknown, unknown>;

/**
 * Methods whose handlers hand grpc-js responses already serialized (a Buffer of the message):
 * Watch encodes each event once for every watcher that carries it (watch-encode.ts, issue 18).
 */
const PRE_SERIALIZED_RESPONSES = new Set(['/etcdserverpb.Watch/Watch']);

const passThrough = (message: Buffer): Buffer => message;

/**
 * `etcdserverpb.KV`, `grpc.health.v1.Health`, … with size-reporting request deserializers (and
 * pass-through response serializers for PRE_SERIALIZED_RESPONSES).
 */
export function serviceDefinition(fullName: string): ServiceDefinition {
  const raw = packageDefinition()[fullName];
  if (raw === undefined || 'format' in raw || !Object.values(raw).every((m) => typeof m === 'object' && 'path' in m)) {
    throw new Error(`cairn: no gRPC service ${fullName} in proto/`);
  }
  const out: Record<string, AnyMethod> = {};
  for (const [name, method] of Object.entries(raw as Record<string, AnyMethod>)) {
    out[name] = {
      ...method,
      requestDeserialize: (buf: Buffer): Sized => ({ size: buf.length, message: method.requestDeserialize(buf) as ProtoObject }),
      ...(PRE_SERIALIZED_RESPONSES.has(method.path) ? { responseSerialize: passThrough as (value: unknown) => Buffer } : {}),
    };
  }
  return out;
}
