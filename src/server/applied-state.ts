/**
 * What the backend records about raft next to the data (etcd's consistent index): the last
 * applied entry and the membership as of it. Written in the same batch as the data it
 * describes, so after any crash the backend knows exactly which entries it holds.
 */
import { Packr } from 'msgpackr';
import type { ConfState } from '../raft/types.js';
import type { Backend, BackendOp } from '../storage/backend.js';
import { utf8 } from '../util/bytes.js';
import { KvError } from '../util/errors.js';

export interface AppliedState {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
}

const APPLIED_KEY = utf8('cairn.applied');
const packr = new Packr({ useRecords: false });

export function appliedStateOp(state: AppliedState): BackendOp {
  return { type: 'put', bucket: 'meta', key: APPLIED_KEY, value: packr.pack(state) };
}

export async function loadAppliedState(backend: Backend): Promise<AppliedState | undefined> {
  const raw = await backend.get('meta', APPLIED_KEY);
  if (raw === undefined) return undefined;
  const s = packr.unpack(raw) as Partial<AppliedState> | null;
  if (s === null || typeof s !== 'object' || typeof s.index !== 'number' || typeof s.term !== 'number' || typeof s.confState !== 'object') {
    throw new KvError('StorageCorrupt', 'cairn: the backend applied-index record is malformed');
  }
  return s as AppliedState;
}
