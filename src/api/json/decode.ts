/**
 * JSON → TS objects with the rules of grpc-gateway's jsonpb unmarshaler (etcd-gateway.md §1.2):
 * proto names first, then lowerCamelCase names; unknown fields ignored; `null` means unset;
 * int64 as a string or an integer literal; bytes as strict base64; enums by name or number.
 * Failures are KvError InvalidArgument (400, code 3) carrying Go's decoder text.
 */
import { KvError } from '../../util/errors.js';
import { Base64Error, decodeBase64 } from './base64.js';
import type { EnumDesc, FieldDesc, MessageDesc, ScalarType, WireObject } from './descriptor.js';
import { zeroOf } from './descriptor.js';
import { JsonNumber, JsonSyntaxError, parseNextValue } from './parse.js';
import type { JsonValue } from './parse.js';

function jsonKind(v: JsonValue): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (v instanceof JsonNumber) return 'number';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

function cannotUnmarshal(what: string, goType: string): KvError {
  return new KvError('InvalidArgument', `json: cannot unmarshal ${what} into Go value of type ${goType}`);
}

const INT_RANGES: Record<'int64' | 'uint64' | 'int32' | 'uint32', readonly [bigint, bigint]> = {
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
};
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * jsonpb strips the quotes of a quoted integer and decodes the rest as a JSON number. An ID
 * field decodes to a bigint over its whole range; any other integer to a number.
 */
function decodeInteger(v: JsonValue, type: keyof typeof INT_RANGES, id: boolean): number | bigint {
  let literal: JsonValue | undefined = v;
  if (typeof v === 'string') {
    try {
      literal = parseNextValue(v)?.value;
    } catch (err) {
      if (err instanceof JsonSyntaxError) throw new KvError('InvalidArgument', err.message);
      throw err;
    }
    if (literal === undefined) throw new KvError('InvalidArgument', 'unexpected end of JSON input');
  }
  if (!(literal instanceof JsonNumber)) throw cannotUnmarshal(jsonKind(literal), type);
  const text = literal.text;
  if (!/^-?\d+$/.test(text)) throw cannotUnmarshal(`number ${text}`, type);
  const big = BigInt(text);
  const [lo, hi] = INT_RANGES[type];
  if (big < lo || big > hi) throw cannotUnmarshal(`number ${text}`, type);
  if (id) return big;
  // cairn keeps revisions and IDs as JS numbers; anything past 2^53 would silently round.
  if (big > MAX_SAFE || big < -MAX_SAFE) {
    throw new KvError('InvalidArgument', `json: cannot unmarshal number ${text} into Go value of type ${type}: cairn accepts integers up to 2^53-1`);
  }
  return Number(big);
}

function decodeScalar(v: JsonValue, type: ScalarType, id: boolean): unknown {
  switch (type) {
    case 'int64':
    case 'uint64':
    case 'int32':
    case 'uint32':
      return decodeInteger(v, type, id);
    case 'bool':
      if (typeof v !== 'boolean') throw cannotUnmarshal(jsonKind(v), 'bool');
      return v;
    case 'string':
      if (typeof v !== 'string') throw cannotUnmarshal(jsonKind(v), 'string');
      return v;
    case 'bytes':
      if (typeof v !== 'string') throw cannotUnmarshal(jsonKind(v), '[]uint8');
      try {
        return decodeBase64(v);
      } catch (err) {
        if (err instanceof Base64Error) throw new KvError('InvalidArgument', err.message);
        throw err;
      }
  }
}

function decodeEnum(v: JsonValue, desc: EnumDesc): string {
  if (typeof v === 'string') {
    if (desc.names.includes(v)) return v;
    throw new KvError('InvalidArgument', `unknown value ${JSON.stringify(v)} for enum ${desc.goName}`);
  }
  if (v instanceof JsonNumber) {
    const name = /^-?\d+$/.test(v.text) ? desc.names[Number(v.text)] : undefined;
    if (name !== undefined) return name;
    throw new KvError('InvalidArgument', `unknown value ${v.text} for enum ${desc.goName}`);
  }
  throw cannotUnmarshal(jsonKind(v), 'int32');
}

function decodeValue(v: JsonValue, f: FieldDesc): unknown {
  const t = f.type;
  if (typeof t === 'function') return decodeMessage(t(), v);
  if (typeof t === 'object') return decodeEnum(v, t);
  return decodeScalar(v, t, f.id);
}

function decodeField(v: JsonValue, f: FieldDesc): unknown {
  if (!f.repeated) return decodeValue(v, f);
  if (!Array.isArray(v)) throw cannotUnmarshal(jsonKind(v), '[]json.RawMessage');
  return v.map((item) => decodeValue(item, f));
}

/** Decodes into the proto shape (before the descriptor's adapter). */
export function decodeWire(desc: MessageDesc, v: JsonValue | undefined): WireObject {
  const out: WireObject = {};
  if (v !== undefined && v !== null) {
    if (!(v instanceof Map)) throw cannotUnmarshal(jsonKind(v), 'map[string]json.RawMessage');
    for (const f of desc.fields) {
      let raw = v.get(f.proto);
      if (raw === undefined) raw = v.get(f.json);
      if (raw === undefined || raw === null) continue;
      out[f.ts] = decodeField(raw, f);
    }
  }
  for (const f of desc.fields) {
    if (!f.fill || out[f.ts] !== undefined) continue;
    const t = f.type;
    out[f.ts] = typeof t === 'function' && !f.repeated ? decodeMessage(t(), undefined) : zeroOf(f);
  }
  return out;
}

/** Decodes a parsed JSON value (undefined = empty body) into the descriptor's TS type. */
export function decodeMessage<T>(desc: MessageDesc<T>, v: JsonValue | undefined): T {
  const wire = decodeWire(desc, v);
  return desc.adapt ? desc.adapt.toTs(wire) : (wire as T);
}
