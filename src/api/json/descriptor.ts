/**
 * Message descriptors: enough of etcd's rpc.proto (field numbers, proto names, types) to read and
 * write the gateway's JSON both ways and to size a request as protobuf would. TS objects use
 * camelCase names (`createRevision`, `id`, `peerUrls`); the wire uses the proto names verbatim.
 */

export type ScalarType = 'int64' | 'uint64' | 'int32' | 'uint32' | 'bool' | 'string' | 'bytes';

export interface EnumDesc {
  readonly kind: 'enum';
  /** Go type name, as jsonpb names it in `unknown value "X" for enum <goName>`. */
  readonly goName: string;
  /** Value names indexed by number; index 0 is the default and is omitted on output. */
  readonly names: readonly string[];
}

/** A proto-shaped object keyed by the fields' TS names. */
export type WireObject = Record<string, unknown>;

/** Converts between the proto shape (oneofs as optional fields) and the TS shape (unions). */
export interface Adapter<T> {
  toTs(wire: WireObject): T;
  fromTs(value: T): WireObject;
}

export interface MessageDesc<T = unknown> {
  readonly goName: string;
  readonly fields: readonly FieldDesc[];
  readonly adapt?: Adapter<T>;
  /**
   * A hand-written encoder giving exactly `encodeWire`'s text, for messages sent by the
   * thousand (a KeyValue per key of a range, per event of a watch); tests hold it to the
   * generic one.
   */
  encodeJson?(value: T): string;
  /** Phantom: the TS type this descriptor decodes to. */
  readonly __type?: T;
}

export type FieldType = ScalarType | EnumDesc | (() => MessageDesc);

export interface FieldDesc {
  readonly no: number;
  /** Proto field name: the output key, accepted on input first. */
  readonly proto: string;
  /** lowerCamelCase JSON name, also accepted on input. */
  readonly json: string;
  readonly ts: string;
  readonly type: FieldType;
  readonly repeated: boolean;
  /** Present in the decoded TS object even when absent on the wire (with its zero value). */
  readonly fill: boolean;
  /**
   * A 64-bit ID (member, cluster, lease): a bigint in TS, so an ID from a real etcd (random
   * 64-bit) round-trips exactly. Other int64 fields (revisions, counts, TTLs) stay numbers.
   */
  readonly id: boolean;
}

function lowerCamel(proto: string): string {
  return proto.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** `ID` → `id`, `grantedTTL` → `grantedTtl`, `peerURLs` → `peerUrls`, `range_end` → `rangeEnd`. */
function tsName(proto: string): string {
  return lowerCamel(proto)
    .replace(/^[A-Z]+$/, (m) => m.toLowerCase())
    .replace(/([a-z])([A-Z]+)(s?)$/, (_, a: string, b: string, s: string) => a + b[0] + b.slice(1).toLowerCase() + s);
}

export interface FieldOptions {
  readonly repeated?: boolean;
  readonly fill?: boolean;
  readonly ts?: string;
  readonly id?: boolean;
}

export function field(no: number, proto: string, type: FieldType, opts: FieldOptions = {}): FieldDesc {
  return {
    no,
    proto,
    json: lowerCamel(proto),
    ts: opts.ts ?? tsName(proto),
    type,
    repeated: opts.repeated ?? false,
    fill: opts.fill ?? false,
    id: opts.id ?? false,
  };
}

export function enumDesc(goName: string, names: readonly string[]): EnumDesc {
  return { kind: 'enum', goName, names };
}

export function message<T>(goName: string, fields: readonly FieldDesc[], adapt?: Adapter<T>): MessageDesc<T> {
  return adapt === undefined ? { goName, fields } : { goName, fields, adapt };
}

/** The zero value a filled field gets. */
export function zeroOf(f: FieldDesc): unknown {
  if (f.repeated) return [];
  const t = f.type;
  if (typeof t === 'function') return undefined;
  if (typeof t === 'object') return t.names[0];
  if (f.id) return 0n;
  switch (t) {
    case 'bool': return false;
    case 'string': return '';
    case 'bytes': return new Uint8Array(0);
    default: return 0;
  }
}
