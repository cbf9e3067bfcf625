/**
 * Protobuf objects (as @grpc/proto-loader decodes them: proto field names, int64 as decimal
 * strings, bytes as Buffers, enums by name) ↔ the API's TS types, through the same message
 * descriptors the JSON gateway uses (src/api/json): one description of every field, so the two
 * doors onto the service cannot disagree on a name, a default or a oneof.
 */
import type { FieldDesc, MessageDesc, WireObject } from '../api/json/descriptor.js';
import { zeroOf } from '../api/json/descriptor.js';
import { toWire } from '../api/json/encode.js';
import { KvError } from '../util/errors.js';

/** A message as proto-loader reads and writes it. */
export type ProtoObject = Record<string, unknown>;

/**
 * int64/uint64 arrive as decimal strings: IDs become bigints (exact over 64 bits), other
 * integers safe-integer numbers.
 */
function integer(v: unknown, f: FieldDesc): number | bigint {
  if (f.id) return BigInt(v as string | number);
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isSafeInteger(n)) {
    throw new KvError('InvalidArgument', `etcdserver: ${f.proto} ${String(v)} is out of range: cairn accepts integers up to 2^53-1`);
  }
  return n;
}

function valueFromProto(v: unknown, f: FieldDesc): unknown {
  const t = f.type;
  if (typeof t === 'function') return fromProto(t(), v as ProtoObject);
  if (typeof t === 'object') {
    const name = typeof v === 'number' ? t.names[v] : (v as string);
    if (name === undefined || !t.names.includes(name)) throw new KvError('InvalidArgument', `unknown value ${String(v)} for enum ${t.goName}`);
    return name;
  }
  switch (t) {
    case 'int64':
    case 'uint64':
    case 'int32':
    case 'uint32':
      return integer(v, f);
    case 'bytes':
      return v instanceof Uint8Array ? v : new Uint8Array(0);
    default:
      return v;
  }
}

/** A decoded request (or response) → the descriptor's TS type, zero values filled as JSON does. */
export function fromProto<T>(desc: MessageDesc<T>, obj: ProtoObject | null | undefined): T {
  const out: WireObject = {};
  for (const f of desc.fields) {
    const v = obj?.[f.proto];
    if (v === undefined || v === null) continue;
    out[f.ts] = f.repeated ? (v as readonly unknown[]).map((item) => valueFromProto(item, f)) : valueFromProto(v, f);
  }
  for (const f of desc.fields) {
    if (!f.fill || out[f.ts] !== undefined) continue;
    const t = f.type;
    out[f.ts] = typeof t === 'function' && !f.repeated ? fromProto(t(), undefined) : zeroOf(f);
  }
  return desc.adapt ? desc.adapt.toTs(out) : (out as T);
}

function wireToProto(desc: MessageDesc, wire: WireObject): ProtoObject {
  const out: ProtoObject = {};
  for (const f of desc.fields) {
    const v = wire[f.ts];
    if (v === undefined || v === null) continue;
    const t = f.type;
    if (typeof t !== 'function') {
      // A 64-bit value as the decimal string proto-loader itself reads it as (longs: String); a
      // bigint reaches the wire intact only through `long`'s bigint support (bare protobufjs writes 0).
      out[f.proto] = f.id ? (f.repeated ? (v as readonly bigint[]).map(String) : String(v)) : v;
      continue;
    }
    const sub = t();
    out[f.proto] = f.repeated ? (v as readonly unknown[]).map((item) => toProto(sub, item)) : toProto(sub, v);
  }
  return out;
}

/** A TS response (or request) → the object proto-loader serializes. */
export function toProto<T>(desc: MessageDesc<T>, value: T): ProtoObject {
  return wireToProto(desc, toWire(desc, value));
}
