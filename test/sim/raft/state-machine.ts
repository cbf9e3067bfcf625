/**
 * The simulated application: a state machine whose whole state is (applied index, running hash
 * of every applied entry, membership). Two nodes with the same hash at an index applied the
 * same sequence — so snapshots carry the hash and installing one is checked against history.
 */
import type { ConfState, Entry } from '../../../src/raft/types.js';
import { EMPTY_CONF_STATE } from '../../../src/raft/types.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

function hex(data: Uint8Array): string {
  let s = '';
  for (const b of data) s += (b < 16 ? '0' : '') + b.toString(16);
  return s;
}

/** A compact identity for an entry: equal keys ⇔ same term, type and payload. */
export function entryKey(e: Entry): string {
  return `${e.term}/${e.type[0]}/${hex(e.data)}`;
}

/** Two FNV-1a lanes with different offsets: a 64-bit-ish running digest of applied entries. */
export function chainHash(prev: string, key: string): string {
  const sep = prev.indexOf(':');
  let a = Number(prev.slice(0, sep)) >>> 0;
  let b = Number(prev.slice(sep + 1)) >>> 0;
  const s = `${key}|`;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x01000193 ^ 0x5bd1e995) >>> 0;
  }
  return `${a}:${b}`;
}

export const GENESIS_HASH = `${0x811c9dc5}:${0x12345678}`;

export interface AppSnapshotData {
  readonly index: number;
  readonly hash: string;
}

export function encodeAppSnapshot(d: AppSnapshotData): Uint8Array {
  return enc.encode(JSON.stringify(d));
}

export function decodeAppSnapshot(data: Uint8Array): AppSnapshotData {
  return JSON.parse(dec.decode(data)) as AppSnapshotData;
}

export class ChainStateMachine {
  constructor(
    public appliedIndex = 0,
    public hash = GENESIS_HASH,
    public confState: ConfState = EMPTY_CONF_STATE,
  ) {}

  apply(e: Entry): void {
    this.appliedIndex = e.index;
    this.hash = chainHash(this.hash, entryKey(e));
  }

  restore(index: number, hash: string, confState: ConfState): void {
    this.appliedIndex = index;
    this.hash = hash;
    this.confState = confState;
  }

  snapshotData(): Uint8Array {
    return encodeAppSnapshot({ index: this.appliedIndex, hash: this.hash });
  }
}

/** Proposal payloads: unique per run, so every normal entry is attributable. */
export function proposalData(n: number): Uint8Array {
  return enc.encode(`p${n}`);
}
