/**
 * Lease keep-alive and time-to-live are the leader's to answer (only it tracks deadlines), so a
 * follower forwards them to the leader's client URL, as etcd forwards LeaseRenew and
 * LeaseTimeToLive to the leader over its peer HTTP handler. With auth on, the caller's token goes
 * along: the leader checks it again (simple tokens are known to every member).
 */
import { KvError } from '../util/errors.js';
import type { FetchFn } from '../util/tls-fetch.js';

async function post(url: string, path: string, body: unknown, timeoutMs: number, fetchFn: FetchFn, token: string | undefined): Promise<string> {
  let res: Response;
  try {
    const headers = token === undefined ? undefined : { authorization: token };
    res = await fetchFn(new URL(path, url), { method: 'POST', body: JSON.stringify(body), headers, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new KvError('LeaderChanged', `etcdserver: leader changed (forwarding to ${url} failed: ${(err as Error).message})`);
  }
  const text = await res.text();
  if (!res.ok) throw new KvError('LeaderChanged', `etcdserver: leader changed (leader answered ${res.status}: ${text.slice(0, 200)})`);
  return text;
}

/** Returns the renewed TTL in seconds; 0 for an unknown lease (etcd's answer). */
export async function forwardKeepAlive(leaderUrl: string, id: number, timeoutMs: number, fetchFn: FetchFn = fetch, token?: string): Promise<number> {
  const text = await post(leaderUrl, '/v3/lease/keepalive', { ID: String(id) }, timeoutMs, fetchFn, token);
  const line = text.split('\n').find((l) => l.trim() !== '');
  const msg = line === undefined ? undefined : (JSON.parse(line) as { result?: { TTL?: string }; error?: { message?: string } });
  if (msg?.result === undefined) throw new KvError('LeaderChanged', `etcdserver: leader changed (${msg?.error?.message ?? 'no answer'})`);
  return Number(msg.result.TTL ?? 0);
}

export interface ForwardedTimeToLive {
  readonly ttl: number;
  readonly grantedTtl: number;
  readonly keys?: Uint8Array[];
}

export async function forwardTimeToLive(leaderUrl: string, id: number, keys: boolean, timeoutMs: number, fetchFn: FetchFn = fetch, token?: string): Promise<ForwardedTimeToLive> {
  const text = await post(leaderUrl, '/v3/lease/timetolive', { ID: String(id), keys }, timeoutMs, fetchFn, token);
  const body = JSON.parse(text) as { TTL?: string; grantedTTL?: string; keys?: string[] };
  return {
    ttl: Number(body.TTL ?? 0),
    grantedTtl: Number(body.grantedTTL ?? 0),
    ...(keys ? { keys: (body.keys ?? []).map((k) => new Uint8Array(Buffer.from(k, 'base64'))) } : {}),
  };
}
