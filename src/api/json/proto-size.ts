/**
 * The protobuf-encoded size of a message, computed from its descriptor. etcd's limits are on
 * protobuf bytes, not JSON bytes: gRPC refuses a request message larger than
 * max-request-bytes + 512 KiB, and the server refuses a raft request larger than
 * max-request-bytes (etcd-gateway.md §5.3). The gateway path measures what etcd would measure.
 */
import type { FieldDesc, MessageDesc, WireObject } from './descriptor.js';
import { toWire } from './encode.js';

export function varintSize(n: number | bigint): number {
  if (n < 0) return 10; // negative int64/int32 are sign-extended to ten bytes
  let size = 1;
  if (typeof n === 'bigint') {
    for (; n >= 128n; n >>= 7n) size++;
    return size;
  }
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

const utf8Size = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Payload size of one value (without its tag); `length` tells whether it is length-delimited. */
function valueSize(v: unknown, f: FieldDesc): { size: number; delimited: boolean } {
  const t = f.type;
  if (typeof t === 'function') return { size: protoSize(t(), v), delimited: true };
  if (typeof t === 'object') return { size: varintSize(t.names.indexOf(v as string)), delimited: false };
  switch (t) {
    case 'int64':
    case 'uint64':
    case 'int32':
    case 'uint32':
      return { size: varintSize(v as number | bigint), delimited: false };
    case 'bool':
      return { size: 1, delimited: false };
    case 'string':
      return { size: utf8Size(v as string), delimited: true };
    case 'bytes':
      return { size: (v as Uint8Array).length, delimited: true };
  }
}

function isDefault(v: unknown, f: FieldDesc): boolean {
  if (typeof f.type === 'function') return false;
  if (typeof f.type === 'object') return v === f.type.names[0];
  return v === 0 || v === 0n || v === false || v === '' || (v instanceof Uint8Array && v.length === 0);
}

function wireSize(desc: MessageDesc, wire: WireObject): number {
  let total = 0;
  for (const f of desc.fields) {
    const v = wire[f.ts];
    if (v === undefined || v === null) continue;
    const tag = varintSize(f.no * 8);
    if (f.repeated) {
      const items = v as readonly unknown[];
      if (items.length === 0) continue;
      const sizes = items.map((item) => valueSize(item, f));
      if (sizes[0]?.delimited) {
        for (const s of sizes) total += tag + varintSize(s.size) + s.size;
      } else {
        // proto3 packs repeated scalars into one length-delimited field.
        const body = sizes.reduce((sum, s) => sum + s.size, 0);
        total += tag + varintSize(body) + body;
      }
      continue;
    }
    if (isDefault(v, f)) continue;
    const s = valueSize(v, f);
    total += tag + (s.delimited ? varintSize(s.size) : 0) + s.size;
  }
  return total;
}

export function protoSize<T>(desc: MessageDesc<T>, value: T): number {
  return wireSize(desc, toWire(desc, value));
}
