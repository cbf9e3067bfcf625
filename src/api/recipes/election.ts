/**
 * etcd's v3election service as etcd serves it: clientv3's election recipe
 * (concurrency/election.go) run against the member as the caller sees it. A candidate's key is
 * `<name>/<lease hex>`; the leader is the oldest key under `<name>/`. Campaign puts the key if
 * absent (an existing key with another value is proclaimed over), then waits until every older
 * key is gone. Proclaim and Resign act only while the key's create revision is the LeaderKey's
 * `rev`. The gateway and gRPC both call these.
 */
import { bytesEqual, concatBytes, prefixRangeEnd, utf8 } from '../../util/bytes.js';
import { KvError } from '../../util/errors.js';
import type { CampaignRequest, CampaignResponse, KV, LeaderKey, LeaderRequest, LeaderResponse, ProclaimRequest, RecipeHeaderResponse, ResignRequest, ResponseHeader } from '../kv.js';
import { leaseOrGrant, prefixOf } from './lock.js';
import { waitDeletes, watchResponses } from './wait.js';

/** concurrency's election errors, as etcd's server returns them (code 2, text as is). */
const NO_LEADER = 'election: no leader';
const NOT_LEADER = 'election: not leader';
const MISSING_LEADER_KEY = '"leader" field must be provided';

function leaderKeyOf(req: { readonly leader?: LeaderKey }): LeaderKey {
  if (req.leader === undefined) throw new KvError('Unknown', MISSING_LEADER_KEY);
  return req.leader;
}

async function proclaimKey(s: KV, lk: LeaderKey, value: Uint8Array): Promise<ResponseHeader> {
  const t = await s.txn({
    compare: [{ key: lk.key, target: 'CREATE', result: 'EQUAL', createRevision: lk.rev }],
    success: [{ type: 'put', request: { key: lk.key, value, lease: lk.lease } }],
    failure: [],
  });
  if (!t.succeeded) throw new KvError('Unknown', NOT_LEADER);
  return t.header;
}

async function resignKey(s: KV, lk: LeaderKey): Promise<ResponseHeader> {
  const t = await s.txn({
    compare: [{ key: lk.key, target: 'CREATE', result: 'EQUAL', createRevision: lk.rev }],
    success: [{ type: 'deleteRange', request: { key: lk.key } }],
    failure: [],
  });
  return t.header;
}

/** Election.Proclaim: a new value under the leader key, only while the caller still holds it. */
export async function proclaim(s: KV, req: ProclaimRequest): Promise<RecipeHeaderResponse> {
  return { header: await proclaimKey(s, leaderKeyOf(req), req.value) };
}

/** Election.Resign: deletes the leader key if it is still the caller's (a stale key is a no-op). */
export async function resign(s: KV, req: ResignRequest): Promise<RecipeHeaderResponse> {
  return { header: await resignKey(s, leaderKeyOf(req)) };
}

/** Election.Campaign: returns once the caller leads; a caller that goes away resigns its key. */
export async function campaign(s: KV, req: CampaignRequest, signal: AbortSignal): Promise<CampaignResponse> {
  const lease = await leaseOrGrant(s, req.lease);
  const prefix = prefixOf(req.name);
  const key = concatBytes(prefix, utf8(lease.toString(16)));
  const t = await s.txn({
    compare: [{ key, target: 'CREATE', result: 'EQUAL', createRevision: 0 }],
    success: [{ type: 'put', request: { key, value: req.value, lease } }],
    failure: [{ type: 'range', request: { key } }],
  });
  let leader: LeaderKey = { name: req.name, key, rev: t.header.revision, lease };
  if (!t.succeeded) {
    const own = t.responses[0];
    const existing = own?.type === 'range' ? own.response.kvs[0] : undefined;
    if (existing === undefined) throw new Error('cairn: campaign txn failed but its key is absent');
    leader = { ...leader, rev: existing.createRevision };
    if (!bytesEqual(existing.value, req.value)) {
      try {
        await proclaimKey(s, leader, req.value);
      } catch (err) {
        await resignKey(s, leader).catch(() => undefined);
        throw err;
      }
    }
  }
  try {
    await waitDeletes(s, prefix, prefixRangeEnd(prefix), leader.rev - 1, signal);
  } catch (err) {
    // etcd's Campaign resigns when its context is done, so an abandoned candidate does not lead.
    if (signal.aborted) await resignKey(s, leader).catch(() => undefined);
    throw err;
  }
  return { header: t.header, leader };
}

/** The oldest candidate under `<name>/` (clientv3's WithFirstCreate), with the read's header. */
async function firstCandidate(s: KV, name: Uint8Array): Promise<{ header: ResponseHeader; kv: LeaderResponse['kv'] | undefined }> {
  const prefix = prefixOf(name);
  const r = await s.range({ key: prefix, rangeEnd: prefixRangeEnd(prefix), sortOrder: 'ASCEND', sortTarget: 'CREATE', limit: 1 });
  return { header: r.header, kv: r.kvs[0] };
}

/** Election.Leader: the current leader's key-value. */
export async function leader(s: KV, req: LeaderRequest): Promise<LeaderResponse> {
  const { header, kv } = await firstCandidate(s, req.name);
  if (kv === undefined) throw new KvError('Unknown', NO_LEADER);
  return { header, kv };
}

/**
 * Election.Observe (concurrency's observe): the leader (waiting for a first candidate if there
 * is none), then each new value of its key until the key is deleted, then the next leader,
 * until `signal` aborts.
 */
export async function* observe(s: KV, req: LeaderRequest, signal: AbortSignal): AsyncGenerator<LeaderResponse> {
  const prefix = prefixOf(req.name);
  for (;;) {
    let { header, kv } = await firstCandidate(s, req.name);
    if (kv === undefined) {
      for await (const wr of watchResponses(s, { key: prefix, rangeEnd: prefixRangeEnd(prefix), startRevision: header.revision }, signal)) {
        // Only a put names a candidate; a batch's header revision is the put's own.
        const put = (wr.events ?? []).find((e) => e.type === 'PUT');
        if (put === undefined) continue;
        kv = put.kv;
        header = { ...wr.header, revision: put.kv.modRevision };
        break;
      }
      if (kv === undefined) return;
    }
    yield { header, kv };
    watch: for await (const wr of watchResponses(s, { key: kv.key, startRevision: header.revision + 1 }, signal)) {
      for (const e of wr.events ?? []) {
        if (e.type === 'DELETE') break watch;
        yield { header: wr.header, kv: e.kv };
      }
    }
  }
}
