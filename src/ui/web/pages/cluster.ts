/**
 * Cluster: every member with its role, raft term, commit and applied index, DB size against the
 * quota, version and alarms, refreshed every 2 s. A member that does not answer is "down", one
 * whose applied index trails the leader's commit index by more than LAG_ENTRIES is "lagging";
 * both say so in words, not only in colour.
 */
import { describe, getJson, getText } from '../api.js';
import { formatBytes, h, message, render } from '../dom.js';
import { poll, type Page } from '../page.js';
import { parseMetrics, total } from '../prom.js';
import type { ClusterView, MemberView } from '../../cluster-types.js';

export type { ClusterView } from '../../cluster-types.js';

/** etcd's own "slow follower" notion is about entries in flight; 1000 behind is plainly behind. */
export const LAG_ENTRIES = 1000;

export function fetchCluster(): Promise<ClusterView> {
  return getJson<ClusterView>('/ui/api/cluster');
}

/** The leader as most members that answered see it (the member serving the page may be cut off). */
export function leaderOf(view: ClusterView): string | undefined {
  const votes = new Map<string, number>();
  for (const m of view.members) {
    const l = m.status?.leader;
    if (l !== undefined && l !== '0') votes.set(l, (votes.get(l) ?? 0) + 1);
  }
  return [...votes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
}

function stateOf(m: MemberView, leaderCommit: number | undefined): { state: 'up' | 'down' | 'lagging'; why: string } {
  if (m.status === undefined) return { state: 'down', why: m.error ?? 'no answer' };
  const behind = leaderCommit === undefined ? 0 : leaderCommit - Number(m.status.raftAppliedIndex);
  if (behind > LAG_ENTRIES) return { state: 'lagging', why: `${behind} entries behind the leader` };
  if (m.status.errors.length > 0) return { state: 'lagging', why: m.status.errors.join('; ') };
  return { state: 'up', why: '' };
}

function memberRow(m: MemberView, leader: string | undefined, leaderCommit: number | undefined, quota: number | undefined): HTMLTableRowElement {
  const { state, why } = stateOf(m, leaderCommit);
  const role = m.isLearner ? 'learner' : m.id === leader ? 'leader' : 'follower';
  const s = m.status;
  const db = s === undefined ? '—' : `${formatBytes(Number(s.dbSize))}${quota === undefined || !m.self ? '' : ` of ${formatBytes(quota)}`}`;
  return h(
    'tr',
    { 'data-member': m.name || m.id, 'data-state': state, 'data-role': role },
    h('th', { scope: 'row' }, m.name || '(not started)', m.self ? h('span', { class: 'tag' }, 'this member') : null),
    h('td', null, h('span', { class: `badge ${state}` }, state), why === '' ? null : h('small', { class: 'why' }, why)),
    h('td', null, h('span', { class: `role ${role}` }, role)),
    h('td', { class: 'mono' }, m.id),
    h('td', { class: 'num' }, s?.raftTerm ?? '—'),
    h('td', { class: 'num' }, s?.raftIndex ?? '—'),
    h('td', { class: 'num' }, s?.raftAppliedIndex ?? '—'),
    h('td', { class: 'num' }, db),
    h('td', null, s?.version ?? '—'),
    h('td', { class: 'mono' }, m.clientUrls.join(' ')),
    h('td', { class: 'mono' }, m.peerUrls.join(' ')),
  );
}

function view(cluster: ClusterView, quota: number | undefined, updated: Date): HTMLElement[] {
  const leader = leaderOf(cluster);
  const leaderMember = cluster.members.find((m) => m.id === leader);
  const leaderCommit = leaderMember?.status === undefined ? undefined : Number(leaderMember.status.raftIndex);
  const down = cluster.members.filter((m) => m.status === undefined).length;
  return [
    h(
      'dl',
      { class: 'summary' },
      h('div', null, h('dt', null, 'Cluster ID'), h('dd', { class: 'mono' }, cluster.clusterId)),
      h('div', null, h('dt', null, 'Leader'), h('dd', { id: 'leader-name' }, leaderMember?.name ?? (leader === undefined ? 'none' : leader))),
      h('div', null, h('dt', null, 'Members'), h('dd', null, `${cluster.members.length} (${down} down)`)),
      h('div', null, h('dt', null, 'Alarms'), h('dd', null, cluster.alarms.length === 0 ? 'none' : cluster.alarms.map((a) => `${a.alarm} on ${a.memberId}`).join(', '))),
      h('div', null, h('dt', null, 'Updated'), h('dd', null, h('time', { datetime: updated.toISOString() }, updated.toLocaleTimeString()))),
    ),
    cluster.alarms.length === 0 ? null : message('error', `Active alarms: ${cluster.alarms.map((a) => a.alarm).join(', ')} — writes may be refused until they are cleared.`),
    h(
      'div',
      { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': 'Members' },
      h(
        'table',
        { id: 'members' },
        h('caption', null, 'Members (refreshed every 2 s)'),
        h(
          'thead',
          null,
          h('tr', null, ...['Name', 'State', 'Role', 'ID', 'Term', 'Commit index', 'Applied index', 'DB size', 'Version', 'Client URLs', 'Peer URLs'].map((c) => h('th', { scope: 'col' }, c))),
        ),
        h('tbody', null, ...cluster.members.map((m) => memberRow(m, leader, leaderCommit, quota))),
      ),
    ),
  ].filter((x): x is HTMLElement => x !== null);
}

export const clusterPage: Page = {
  id: 'cluster',
  title: 'Cluster',
  mount(el) {
    const body = h('div', { 'aria-busy': 'true' }, 'Loading…');
    render(el, h('h1', null, 'Cluster'), body);
    return poll(2000, async () => {
      try {
        const [cluster, metrics] = await Promise.all([fetchCluster(), getText('/metrics').catch(() => '')]);
        render(body, ...view(cluster, total(parseMetrics(metrics), 'etcd_server_quota_backend_bytes'), new Date()));
      } catch (err) {
        render(body, message('error', `Cannot read the cluster from this member: ${describe(err)}`));
      }
      body.setAttribute('aria-busy', 'false');
    });
  },
};
