/**
 * TS objects → JSON as etcd's gateway prints it (grpc-gateway JSONPb{OrigName:true},
 * EmitDefaults=false): proto field names, fields in field-number order, zero values omitted,
 * int64/uint64 as decimal strings, int32/uint32 as numbers, bytes as padded standard base64,
 * enums by name. A message field that is present prints even when empty (`"header":{}`).
 */
import { assert } from '../../util/assert.js';
import { encodeBase64 } from './base64.js';
import type { FieldDesc, MessageDesc, WireObject } from './descriptor.js';

function invalid(f: FieldDesc, what: string): never {
  return assert(false, `${f.proto}: not ${what}`) as never;
}

function encodeScalar(v: unknown, f: FieldDesc): string {
  const t = f.type;
  if (typeof t === 'function') return encodeMessage(t(), v);
  if (typeof t === 'object') {
    if (typeof v !== 'string' || !t.names.includes(v)) invalid(f, `a ${t.goName} name`);
    return `"${v}"`;
  }
  switch (t) {
    case 'int64':
    case 'uint64':
      if (f.id ? typeof v !== 'bigint' : !Number.isSafeInteger(v)) invalid(f, f.id ? 'a bigint ID' : 'a safe integer');
      return `"${v as number | bigint}"`;
    case 'int32':
    case 'uint32':
      if (!Number.isInteger(v)) invalid(f, 'an integer');
      return String(v);
    case 'bool':
      return v ? 'true' : 'false';
    case 'string':
      return JSON.stringify(v);
    case 'bytes':
      if (!(v instanceof Uint8Array)) invalid(f, 'bytes');
      return `"${encodeBase64(v)}"`;
  }
}

function isZero(v: unknown, f: FieldDesc): boolean {
  if (f.repeated) return (v as readonly unknown[]).length === 0;
  const t = f.type;
  if (typeof t === 'function') return false;
  if (typeof t === 'object') return v === t.names[0];
  return v === 0 || v === 0n || v === false || v === '' || (v instanceof Uint8Array && v.length === 0);
}

/** The proto-shaped object (after the descriptor's adapter) as JSON text. */
export function encodeWire(desc: MessageDesc, wire: WireObject): string {
  let out = '';
  for (const f of desc.fields) {
    const v = wire[f.ts];
    if (v === undefined || v === null || isZero(v, f)) continue;
    let text: string;
    if (f.repeated) {
      text = '';
      for (const item of v as readonly unknown[]) text += (text === '' ? '' : ',') + encodeScalar(item, f);
      text = `[${text}]`;
    } else {
      text = encodeScalar(v, f);
    }
    out += `${out === '' ? '' : ','}"${f.proto}":${text}`;
  }
  return `{${out}}`;
}

export function toWire<T>(desc: MessageDesc<T>, value: T): WireObject {
  return desc.adapt ? desc.adapt.fromTs(value) : (value as WireObject);
}

export function encodeMessage<T>(desc: MessageDesc<T>, value: T): string {
  if (desc.encodeJson !== undefined) return desc.encodeJson(value);
  return encodeWire(desc, toWire(desc, value));
}
