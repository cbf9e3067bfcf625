/**
 * The frames peers exchange, and their validation. A connection starts with `hello` from the
 * dialer; the listener answers `welcome` or `refuse` (and closes). A `raft` stream then carries
 * `msgs` batches one way and `ping`/`pong` for the round-trip time; a `snapshot` stream carries
 * `snapBegin`, `snapChunk`s and `snapEnd`, answered by one `snapDone`. A member joining an
 * existing cluster, which knows neither its own ID nor the cluster's, opens with `join` instead
 * (its advertised peer URLs) and is answered `joinInfo` (etcd's joiner reads the peer's
 * `/members` endpoint for the same purpose) or `refuse`.
 */
import type { Message } from '../raft/messages.js';
import type { NodeId } from '../raft/types.js';
import type { MsgSnap } from './transport.js';
import { FrameError, decodePayload, decodeWithFreshDecoder, describePayload } from './codec.js';
import { validateMessage } from './validate.js';

export const PROTOCOL_VERSION = 1;

export type StreamKind = 'raft' | 'snapshot';

/** Why a listener refused a dialer; the dialer surfaces it as `lastError`. */
export type RefuseReason = 'clusterIdMismatch' | 'wrongTarget' | 'unknownPeer' | 'versionMismatch' | 'stopped' | 'memberRemoved' | 'notMember';

/** A member-table record as the join answer carries it. */
export interface JoinMember {
  readonly id: NodeId;
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
  readonly isLearner: boolean;
}

/** Bounds on the join frames (a URL list per member, members per cluster). */
const MAX_URLS = 32;
const MAX_MEMBERS = 1000;

export type Frame =
  | { readonly k: 'hello'; readonly version: number; readonly clusterId: string; readonly from: NodeId; readonly to: NodeId; readonly stream: StreamKind }
  | { readonly k: 'welcome' }
  | { readonly k: 'join'; readonly version: number; readonly peerUrls: readonly string[] }
  | { readonly k: 'joinInfo'; readonly clusterId: number; readonly memberId: NodeId; readonly members: readonly JoinMember[] }
  | { readonly k: 'refuse'; readonly reason: RefuseReason; readonly message: string }
  | { readonly k: 'msgs'; readonly msgs: readonly Message[] }
  | { readonly k: 'ping'; readonly t: number }
  | { readonly k: 'pong'; readonly t: number }
  | { readonly k: 'snapBegin'; readonly msg: MsgSnap }
  | { readonly k: 'snapChunk'; readonly data: Uint8Array; readonly crc: number }
  | { readonly k: 'snapEnd'; readonly chunks: number; readonly bytes: number }
  | { readonly k: 'snapDone'; readonly ok: boolean; readonly message: string };

const REFUSE_REASONS: ReadonlySet<string> = new Set<RefuseReason>([
  'clusterIdMismatch',
  'wrongTarget',
  'unknownPeer',
  'versionMismatch',
  'stopped',
  'memberRemoved',
  'notMember',
]);

/** Upper bound on the length of strings in control frames (cluster id, refusal text). */
const MAX_TEXT = 1024;

function rec(v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) {
    throw new FrameError('frame is not an object');
  }
  return v as Record<string, unknown>;
}

function uint(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new FrameError(`frame field ${what} is not a non-negative integer`);
  return v;
}

function num(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new FrameError(`frame field ${what} is not a number`);
  return v;
}

function text(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length > MAX_TEXT) throw new FrameError(`frame field ${what} is not a string of at most ${MAX_TEXT} characters`);
  return v;
}

function bool(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') throw new FrameError(`frame field ${what} is not a boolean`);
  return v;
}

function texts(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || v.length > MAX_URLS) throw new FrameError(`frame field ${what} is not a list of at most ${MAX_URLS} strings`);
  return v.map((x, i) => text(x, `${what}[${i}]`));
}

function joinMember(v: unknown, what: string): JoinMember {
  const m = rec(v);
  return {
    id: uint(m['id'], `${what}.id`),
    name: text(m['name'], `${what}.name`),
    peerUrls: texts(m['peerUrls'], `${what}.peerUrls`),
    clientUrls: texts(m['clientUrls'], `${what}.clientUrls`),
    isLearner: bool(m['isLearner'], `${what}.isLearner`),
  };
}

/** Checks a decoded payload; throws FrameError / MalformedMessage (both KvError) on anything else. */
export function validateFrame(raw: unknown): Frame {
  const f = rec(raw);
  const k = f['k'];
  switch (k) {
    case 'hello': {
      const stream = f['stream'];
      if (stream !== 'raft' && stream !== 'snapshot') throw new FrameError('hello has an unknown stream kind');
      return {
        k,
        version: uint(f['version'], 'version'),
        clusterId: text(f['clusterId'], 'clusterId'),
        from: uint(f['from'], 'from'),
        to: uint(f['to'], 'to'),
        stream,
      };
    }
    case 'welcome':
      return { k };
    case 'join':
      return { k, version: uint(f['version'], 'version'), peerUrls: texts(f['peerUrls'], 'peerUrls') };
    case 'joinInfo': {
      const members = f['members'];
      if (!Array.isArray(members) || members.length > MAX_MEMBERS) throw new FrameError(`joinInfo has no member list of at most ${MAX_MEMBERS}`);
      return {
        k,
        clusterId: uint(f['clusterId'], 'clusterId'),
        memberId: uint(f['memberId'], 'memberId'),
        members: members.map((m, i) => joinMember(m, `members[${i}]`)),
      };
    }
    case 'refuse': {
      const reason = f['reason'];
      if (typeof reason !== 'string' || !REFUSE_REASONS.has(reason)) throw new FrameError('refuse has an unknown reason');
      return { k, reason: reason as RefuseReason, message: text(f['message'], 'message') };
    }
    case 'msgs': {
      const msgs = f['msgs'];
      if (!Array.isArray(msgs)) throw new FrameError('msgs frame has no message list');
      return { k, msgs: msgs.map((m, i) => validateMessage(m, `msgs[${i}]`)) };
    }
    case 'ping':
    case 'pong':
      return { k, t: num(f['t'], 't') };
    case 'snapBegin': {
      const msg = validateMessage(f['msg'], 'snapBegin.msg');
      if (msg.type !== 'MsgSnap') throw new FrameError('snapBegin does not carry a MsgSnap');
      return { k, msg };
    }
    case 'snapChunk': {
      const data = f['data'];
      if (!(data instanceof Uint8Array)) throw new FrameError('snapChunk has no data');
      return { k, data, crc: uint(f['crc'], 'crc') };
    }
    case 'snapEnd':
      return { k, chunks: uint(f['chunks'], 'chunks'), bytes: uint(f['bytes'], 'bytes') };
    case 'snapDone':
      return { k, ok: bool(f['ok'], 'ok'), message: text(f['message'], 'message') };
    default:
      throw new FrameError(`unknown frame kind ${String(k).slice(0, 40)}`);
  }
}

/**
 * Decodes and validates one payload off the wire. A payload that fails is tried once more on a
 * fresh decoder (codec.ts, chaos finding F1) before it counts as malformed; the error then names
 * the payload's length and first bytes, so a bad frame in a log can be told from a bad decoder.
 */
export function decodeFrame(payload: Uint8Array): Frame {
  try {
    return validateFrame(decodePayload(payload));
  } catch (first) {
    try {
      return decodeWithFreshDecoder(payload, validateFrame);
    } catch {
      const detail = (first as Error).message.replace(/^transport: /, '').replace(/ \(payload \d+ bytes.*$/, '');
      throw new FrameError(`${detail} (${describePayload(payload)})`);
    }
  }
}

