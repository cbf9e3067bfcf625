/**
 * Cluster alarms (etcd `alarm.AlarmStore`): raised and cleared through raft so every member
 * agrees, kept in the backend's `alarm` bucket. While NOSPACE is active, requests that add data
 * (puts, txns with puts, lease grants) fail with "database space exceeded"; deletes,
 * compaction and reads still work, so an operator can free space and disarm it.
 */
import type { BackendOp, Backend } from '../storage/backend.js';
import { KvError } from '../util/errors.js';
import type { RequestOp, TxnRequest } from '../store/requests.js';
import type { AlarmType, InternalRequest } from './requests.js';

export interface AlarmMember {
  readonly memberId: number;
  readonly alarm: AlarmType;
}

function alarmKey(memberId: number, alarm: AlarmType): Uint8Array {
  const key = new Uint8Array(9);
  new DataView(key.buffer).setBigUint64(0, BigInt(memberId));
  key[8] = alarm === 'NOSPACE' ? 1 : 2;
  return key;
}

function decodeAlarmKey(key: Uint8Array): AlarmMember | undefined {
  if (key.length !== 9) return undefined;
  const memberId = Number(new DataView(key.buffer, key.byteOffset, 8).getBigUint64(0));
  return { memberId, alarm: key[8] === 1 ? 'NOSPACE' : 'CORRUPT' };
}

function opAddsData(op: RequestOp): boolean {
  return op.type === 'put' || (op.type === 'txn' && txnAddsData(op.request));
}

function txnAddsData(r: TxnRequest): boolean {
  return [...(r.success ?? []), ...(r.failure ?? [])].some(opAddsData);
}

/** etcd's quota rule: what NOSPACE refuses. */
export function addsData(request: InternalRequest): boolean {
  switch (request.op) {
    case 'put':
    case 'leaseGrant':
      return true;
    case 'txn':
      return txnAddsData(request.request);
    default:
      return false;
  }
}

/** etcd's cost estimate for the quota check: key + value + 256 bytes of overhead per put. */
export function estimatedCost(request: InternalRequest): number {
  if (request.op === 'put') return request.request.key.length + (request.request.value?.length ?? 0) + 256;
  if (request.op === 'leaseGrant') return 64;
  if (request.op === 'txn') {
    let cost = 0;
    for (const op of [...(request.request.success ?? []), ...(request.request.failure ?? [])]) {
      if (op.type === 'put') cost += op.request.key.length + (op.request.value?.length ?? 0) + 256;
    }
    return cost;
  }
  return 0;
}

export class Alarms {
  private readonly active = new Map<string, AlarmMember>();

  static async load(backend: Backend): Promise<Alarms> {
    const alarms = new Alarms();
    await alarms.reload(backend);
    return alarms;
  }

  async reload(backend: Backend): Promise<void> {
    this.active.clear();
    for await (const [key] of backend.iterate('alarm')) {
      const a = decodeAlarmKey(key);
      if (a !== undefined) this.active.set(`${a.memberId}:${a.alarm}`, a);
    }
  }

  list(): AlarmMember[] {
    return [...this.active.values()].sort((a, b) => a.memberId - b.memberId || a.alarm.localeCompare(b.alarm));
  }

  has(alarm: AlarmType): boolean {
    return this.list().some((a) => a.alarm === alarm);
  }

  /** Applies an alarm request; returns the ops for the apply batch and the alarms it changed. */
  apply(action: 'activate' | 'deactivate', memberId: number, alarm: AlarmType): { ops: BackendOp[]; changed: AlarmMember[] } {
    const id = `${memberId}:${alarm}`;
    const key = alarmKey(memberId, alarm);
    if (action === 'activate') {
      if (this.active.has(id)) return { ops: [], changed: [] };
      this.active.set(id, { memberId, alarm });
      return { ops: [{ type: 'put', bucket: 'alarm', key, value: new Uint8Array(0) }], changed: [{ memberId, alarm }] };
    }
    const existing = this.active.get(id);
    if (existing === undefined) return { ops: [], changed: [] };
    this.active.delete(id);
    return { ops: [{ type: 'del', bucket: 'alarm', key }], changed: [existing] };
  }
}

/**
 * etcd's quota check before proposing: a request that adds data is refused while NOSPACE is
 * raised, and one that would take the backend past the quota raises it first (`raise`).
 */
export function checkQuota(request: InternalRequest, alarms: Alarms, dbSize: number, quotaBytes: number, raise: () => void): void {
  if (!addsData(request)) return;
  if (alarms.has('NOSPACE')) throw new KvError('NoSpace');
  if (dbSize + estimatedCost(request) > quotaBytes) {
    raise();
    throw new KvError('NoSpace');
  }
}

/** Applies a committed alarm request: its ops and the applied index in one backend batch. */
export async function applyAlarm(
  alarms: Alarms,
  backend: Backend,
  request: Extract<InternalRequest, { op: 'alarm' }>,
  extra: readonly BackendOp[],
): Promise<AlarmMember[]> {
  const { ops, changed } = alarms.apply(request.action, request.memberId, request.alarm);
  await backend.write([...ops, ...extra]);
  return changed;
}
