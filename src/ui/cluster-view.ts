/**
 * What the dashboard's Cluster page shows: every member of the member list with the status it
 * reports itself, as `etcdctl endpoint status --cluster` gathers it. The member serving the UI
 * asks its peers' client URLs (their advertised `/v3/maintenance/status`, nothing else), so the
 * browser talks to one origin only and a restrictive --cors on the peers does not matter.
 */
import type { KV } from '../api/kv.js';
import type { ClusterView, MemberStatusView, MemberView } from './cluster-types.js';

export type { ClusterView, MemberStatusView, MemberView } from './cluster-types.js';

/** A member that has not answered within this is shown as down (the page refreshes every 2 s). */
export const PEER_STATUS_TIMEOUT_MS = 1_000;
/** Bound on the fan-out: etcd clusters have 3, 5 or 7 voters plus a few learners. */
export const MAX_MEMBERS_ASKED = 16;

/** `token`: the caller's, so each peer checks the same identity (auth on); undefined otherwise. */
export type StatusFetcher = (clientUrl: string, token: string | undefined) => Promise<MemberStatusView>;

function str(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : '0';
}

/** A peer's `/v3/maintenance/status` over the gateway (int64 as strings, zero values left out). */
export const fetchPeerStatus: StatusFetcher = async (clientUrl, token) => {
  const res = await fetch(new URL('/v3/maintenance/status', clientUrl), {
    method: 'POST',
    body: '{}',
    ...(token === undefined ? {} : { headers: { authorization: token } }),
    signal: AbortSignal.timeout(PEER_STATUS_TIMEOUT_MS),
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(typeof body.message === 'string' ? body.message : `HTTP ${res.status}`);
  return {
    dbSize: str(body.dbSize),
    leader: str(body.leader),
    raftIndex: str(body.raftIndex),
    raftTerm: str(body.raftTerm),
    raftAppliedIndex: str(body.raftAppliedIndex),
    version: typeof body.version === 'string' ? body.version : '',
    errors: Array.isArray(body.errors) ? body.errors.map(String) : [],
  };
};

function errorText(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return `no answer within ${PEER_STATUS_TIMEOUT_MS} ms`;
  const cause = err instanceof Error ? (err.cause as { code?: string } | undefined) : undefined;
  if (cause?.code !== undefined) return cause.code;
  return err instanceof Error ? err.message : String(err);
}

/** `service` is the member as the caller sees it; `token` goes along to the peers. */
export async function clusterView(service: KV, token: string | undefined, fetchStatus: StatusFetcher = fetchPeerStatus): Promise<ClusterView> {
  // Serializable: a member cut off from the leader still shows what it knows.
  const [list, own, alarms] = await Promise.all([service.memberList({ linearizable: false }), service.status(), service.alarm({ action: 'GET' })]);
  const selfId = own.header.memberId;
  const ownView: MemberStatusView = {
    dbSize: String(own.dbSize),
    leader: String(own.leader),
    raftIndex: String(own.raftIndex),
    raftTerm: String(own.raftTerm),
    raftAppliedIndex: String(own.raftAppliedIndex),
    version: own.version,
    errors: own.errors,
  };
  const members = await Promise.all(
    list.members.slice(0, MAX_MEMBERS_ASKED).map(async (m): Promise<MemberView> => {
      const base = { id: String(m.id), name: m.name, peerUrls: m.peerUrls, clientUrls: m.clientUrls, isLearner: m.isLearner === true, self: m.id === selfId };
      if (base.self) return { ...base, status: ownView };
      const url = m.clientUrls[0];
      if (url === undefined) return { ...base, error: 'not started (no client URL yet)' };
      try {
        return { ...base, status: await fetchStatus(url, token) };
      } catch (err) {
        return { ...base, error: errorText(err) };
      }
    }),
  );
  return {
    clusterId: String(own.header.clusterId),
    self: String(selfId),
    members,
    alarms: alarms.alarms.map((a) => ({ memberId: String(a.memberId), alarm: String(a.alarm) })),
  };
}
