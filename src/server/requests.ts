/**
 * What a member proposes through raft (etcd's InternalRaftRequest): one client write with the
 * id its proposer waits on. Encoded with msgpackr as the data of a normal raft entry; decoding
 * checks the shape, since a log entry that does not decode means storage we cannot trust.
 */
import { Packr } from 'msgpackr';
import type { CompactResponse, DeleteRangeRequest, PutRequest, TxnRequest } from '../store/requests.js';
import { KvError } from '../util/errors.js';
import type { AuthRequest, AuthStamp } from './auth/auth-requests.js';

export type AlarmType = 'NOSPACE' | 'CORRUPT';

export type InternalRequest =
  | { readonly op: 'put'; readonly request: PutRequest }
  | { readonly op: 'deleteRange'; readonly request: DeleteRangeRequest }
  | { readonly op: 'txn'; readonly request: TxnRequest }
  | { readonly op: 'compact'; readonly revision: number }
  | { readonly op: 'leaseGrant'; readonly id: number; readonly ttl: number }
  | { readonly op: 'leaseRevoke'; readonly id: number }
  | { readonly op: 'alarm'; readonly action: 'activate' | 'deactivate'; readonly memberId: number; readonly alarm: AlarmType }
  /** A member announces its name and client URLs once started (etcd's publish). */
  | { readonly op: 'publish'; readonly memberId: number; readonly name: string; readonly clientUrls: readonly string[] }
  /** A change of users, roles or auth on/off, or a password login (auth/auth-requests.ts). */
  | { readonly op: 'auth'; readonly request: AuthRequest };

export type InternalOp = InternalRequest['op'];

export interface RequestEnvelope {
  /** Unique per proposer: `<member id hex>.<counter>`; only the proposer waits on it. */
  readonly id: string;
  readonly request: InternalRequest;
  /** A client write checked against auth: refused at apply if the auth revision moved since. */
  readonly auth?: AuthStamp;
}

/** `physical` is awaited by the server, never stored. */
export type CompactResult = Omit<CompactResponse, 'physical'>;

const OPS: ReadonlySet<string> = new Set<InternalOp>(['put', 'deleteRange', 'txn', 'compact', 'leaseGrant', 'leaseRevoke', 'alarm', 'publish', 'auth']);

const packr = new Packr({ useRecords: false, moreTypes: false });

export function encodeRequest(envelope: RequestEnvelope): Uint8Array {
  return packr.pack(envelope);
}

/** Throws KvError('StorageCorrupt') for bytes that are not a request this version wrote. */
export function decodeRequest(data: Uint8Array): RequestEnvelope {
  let decoded: unknown;
  try {
    decoded = packr.unpack(data);
  } catch (err) {
    throw new KvError('StorageCorrupt', `cairn: raft entry does not decode as a request: ${(err as Error).message}`);
  }
  const env = decoded as Partial<RequestEnvelope> | null;
  if (
    env === null ||
    typeof env !== 'object' ||
    typeof env.id !== 'string' ||
    typeof env.request !== 'object' ||
    env.request === null ||
    !OPS.has((env.request as { op?: unknown }).op as string)
  ) {
    throw new KvError('StorageCorrupt', 'cairn: raft entry is not a well-formed request');
  }
  return env as RequestEnvelope;
}

/**
 * Request ids: a random base per process (so ids of a previous run still in the log never match
 * a new waiter) plus a counter, prefixed by the member id (so another member's entry never
 * resolves our waiter).
 */
export class RequestIdGenerator {
  private counter: number;

  constructor(private readonly memberId: number, randomBase: number) {
    this.counter = Math.floor(randomBase) % 2 ** 48;
  }

  next(): string {
    this.counter = (this.counter + 1) % 2 ** 48;
    return `${this.memberId.toString(16)}.${this.counter.toString(36)}`;
  }
}
