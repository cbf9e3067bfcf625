/**
 * Checks every decoded message against the Message union before raft sees it: a known wire
 * `type`, every field present with the right type, safe non-negative integers for ids, terms and
 * indexes, well-formed entries and snapshots. A peer (or a corrupted frame) can therefore never
 * step raft with a message of the wrong shape. The field table is typed against the union, so a
 * field the raft core adds to a message is a compile error here until it is validated too.
 */
import { LOCAL_MESSAGE_TYPES, type Message, type MessageOf, type MessageType } from '../raft/messages.js';
import type { ConfState, Entry, EntryType, Snapshot } from '../raft/types.js';
import { KvError } from '../util/errors.js';

type FieldKind = 'uint' | 'bool' | 'bytes' | 'entries' | 'snapshot';

type WireType = Exclude<MessageType, 'MsgHup' | 'MsgBeat' | 'MsgCheckQuorum' | 'MsgUnreachable' | 'MsgSnapStatus' | 'MsgForgetLeader'>;

type BodyKeys<T extends MessageType> = Exclude<keyof MessageOf<T>, 'type' | 'from' | 'to' | 'term'>;

/** Every non-envelope field of every wire message, with its kind (exhaustive by construction). */
type FieldTable = { readonly [T in WireType]: { readonly [K in BodyKeys<T>]-?: FieldKind } };

const FIELDS: FieldTable = {
  MsgProp: { entries: 'entries' },
  MsgApp: { index: 'uint', logTerm: 'uint', entries: 'entries', commit: 'uint' },
  MsgAppResp: { index: 'uint', reject: 'bool', rejectHint: 'uint', logTerm: 'uint' },
  MsgVote: { index: 'uint', logTerm: 'uint', transfer: 'bool' },
  MsgPreVote: { index: 'uint', logTerm: 'uint', transfer: 'bool' },
  MsgVoteResp: { reject: 'bool' },
  MsgPreVoteResp: { reject: 'bool' },
  MsgSnap: { snapshot: 'snapshot' },
  MsgHeartbeat: { commit: 'uint', context: 'bytes' },
  MsgHeartbeatResp: { context: 'bytes' },
  MsgTransferLeader: {},
  MsgTimeoutNow: {},
  MsgReadIndex: { context: 'bytes' },
  MsgReadIndexResp: { index: 'uint', context: 'bytes' },
};

const ENTRY_TYPES: ReadonlySet<EntryType> = new Set<EntryType>(['normal', 'confChange', 'confChangeV2']);

export class MalformedMessage extends KvError {
  constructor(detail: string) {
    super('InvalidArgument', `transport: malformed message: ${detail}`);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function uint(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new MalformedMessage(`${where} must be a non-negative safe integer, got ${describe(v)}`);
  }
  return v;
}

function bool(v: unknown, where: string): boolean {
  if (typeof v !== 'boolean') throw new MalformedMessage(`${where} must be a boolean, got ${describe(v)}`);
  return v;
}

/** A plain Uint8Array view (msgpackr hands out Buffers; consumers compare Uint8Arrays). */
function bytes(v: unknown, where: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new MalformedMessage(`${where} must be bytes, got ${describe(v)}`);
  return v.constructor === Uint8Array ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

function list(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v)) throw new MalformedMessage(`${where} must be an array, got ${describe(v)}`);
  return v;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'bytes';
  if (typeof v === 'number') return String(v);
  return typeof v;
}

function entry(v: unknown, where: string): Entry {
  if (!isRecord(v)) throw new MalformedMessage(`${where} must be an entry object, got ${describe(v)}`);
  const type = v['type'];
  if (typeof type !== 'string' || !ENTRY_TYPES.has(type as EntryType)) {
    throw new MalformedMessage(`${where}.type is not an entry type`);
  }
  return {
    term: uint(v['term'], `${where}.term`),
    index: uint(v['index'], `${where}.index`),
    type: type as EntryType,
    data: bytes(v['data'], `${where}.data`),
  };
}

function nodeIds(v: unknown, where: string): number[] {
  return list(v, where).map((id, i) => uint(id, `${where}[${i}]`));
}

function confState(v: unknown, where: string): ConfState {
  if (!isRecord(v)) throw new MalformedMessage(`${where} must be an object`);
  return {
    voters: nodeIds(v['voters'], `${where}.voters`),
    learners: nodeIds(v['learners'], `${where}.learners`),
    votersOutgoing: nodeIds(v['votersOutgoing'], `${where}.votersOutgoing`),
    learnersNext: nodeIds(v['learnersNext'], `${where}.learnersNext`),
    autoLeave: bool(v['autoLeave'], `${where}.autoLeave`),
  };
}

function snapshot(v: unknown, where: string): Snapshot {
  if (!isRecord(v)) throw new MalformedMessage(`${where} must be an object`);
  const meta = v['metadata'];
  if (!isRecord(meta)) throw new MalformedMessage(`${where}.metadata must be an object`);
  return {
    metadata: {
      index: uint(meta['index'], `${where}.metadata.index`),
      term: uint(meta['term'], `${where}.metadata.term`),
      confState: confState(meta['confState'], `${where}.metadata.confState`),
    },
    data: bytes(v['data'], `${where}.data`),
  };
}

function field(kind: FieldKind, v: unknown, where: string): unknown {
  switch (kind) {
    case 'uint':
      return uint(v, where);
    case 'bool':
      return bool(v, where);
    case 'bytes':
      return bytes(v, where);
    case 'entries':
      return list(v, where).map((e, i) => entry(e, `${where}[${i}]`));
    case 'snapshot':
      return snapshot(v, where);
  }
}

export function isWireType(type: unknown): type is WireType {
  return typeof type === 'string' && Object.hasOwn(FIELDS, type);
}

/**
 * Returns a fresh, well-formed Message built from `raw`, or throws MalformedMessage. Unknown
 * extra fields are dropped (a newer peer may send more); local message types are refused.
 */
export function validateMessage(raw: unknown, where = 'message'): Message {
  if (!isRecord(raw)) throw new MalformedMessage(`${where} must be an object, got ${describe(raw)}`);
  const type = raw['type'];
  if (!isWireType(type)) {
    const local = typeof type === 'string' && LOCAL_MESSAGE_TYPES.has(type as MessageType);
    throw new MalformedMessage(`${where}.type ${local ? 'is a local message type' : 'is unknown'}: ${String(type).slice(0, 40)}`);
  }
  const out: Record<string, unknown> = {
    type,
    from: uint(raw['from'], `${where}.from`),
    to: uint(raw['to'], `${where}.to`),
    term: uint(raw['term'], `${where}.term`),
  };
  const spec: Readonly<Record<string, FieldKind>> = FIELDS[type];
  for (const key of Object.keys(spec)) {
    out[key] = field(spec[key] as FieldKind, raw[key], `${where}.${type}.${key}`);
  }
  // Safe: `out` has exactly the fields FIELDS lists for `type`, each checked to its kind.
  return out as unknown as Message;
}

/** True for types that may cross the wire (the sender asserts this before queueing). */
export function isLocalType(type: MessageType): boolean {
  return LOCAL_MESSAGE_TYPES.has(type);
}
