/**
 * Entry data for 'confChangeV2' entries: UTF-8 JSON (the core may not use msgpackr). Empty
 * data decodes to the empty change that leaves a joint configuration (etcd's auto-leave
 * proposal has nil data).
 */
import { KvError } from '../util/errors.js';
import type { ConfChangeSingle, ConfChangeTransition, ConfChangeType, ConfChangeV2 } from './types.js';

const TRANSITIONS: readonly ConfChangeTransition[] = ['auto', 'implicit', 'explicit'];
const TYPES: readonly ConfChangeType[] = ['addNode', 'removeNode', 'updateNode', 'addLearnerNode'];

interface Wire {
  t: ConfChangeTransition;
  c: Array<[ConfChangeType, number]>;
  x: string;
}

export function encodeConfChange(cc: ConfChangeV2): Uint8Array {
  const wire: Wire = {
    t: cc.transition,
    c: cc.changes.map((ch) => [ch.type, ch.nodeId]),
    x: toHex(cc.context),
  };
  return new TextEncoder().encode(JSON.stringify(wire));
}

export function decodeConfChange(data: Uint8Array): ConfChangeV2 {
  if (data.byteLength === 0) return { transition: 'auto', changes: [], context: new Uint8Array(0) };
  let wire: unknown;
  try {
    wire = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data));
  } catch {
    throw bad('not JSON');
  }
  if (typeof wire !== 'object' || wire === null) throw bad('not an object');
  const w = wire as Partial<Record<keyof Wire, unknown>>;
  if (!TRANSITIONS.includes(w.t as ConfChangeTransition)) throw bad('bad transition');
  if (!Array.isArray(w.c)) throw bad('bad changes');
  const changes: ConfChangeSingle[] = w.c.map((ch: unknown) => {
    if (!Array.isArray(ch) || ch.length !== 2) throw bad('bad change');
    const [type, nodeId] = ch as [unknown, unknown];
    if (!TYPES.includes(type as ConfChangeType)) throw bad('bad change type');
    if (typeof nodeId !== 'number' || !Number.isSafeInteger(nodeId) || nodeId < 0) throw bad('bad node id');
    return { type: type as ConfChangeType, nodeId };
  });
  if (typeof w.x !== 'string' || !/^([0-9a-f]{2})*$/.test(w.x)) throw bad('bad context');
  return { transition: w.t as ConfChangeTransition, changes, context: fromHex(w.x) };
}

function bad(why: string): KvError {
  return new KvError('InvalidArgument', `raft: invalid conf change entry: ${why}`);
}

function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

function fromHex(s: string): Uint8Array {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}
