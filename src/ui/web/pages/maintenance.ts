/**
 * Maintenance: compaction at a revision, defragment, move leader and a snapshot download, each
 * through the gateway's Maintenance/KV calls; the destructive ones ask first.
 */
import { describe, errorFrom, request, rpc, type GwHeader } from '../api.js';
import { fromBase64 } from '../bytes.js';
import { confirmAction, field, h, message, render } from '../dom.js';
import type { Page } from '../page.js';
import { fetchCluster, leaderOf } from './cluster.js';

function section(title: string, ...children: HTMLElement[]): HTMLElement {
  const id = `m-${title.toLowerCase().replace(/\W+/g, '-')}`;
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}

function compaction(status: HTMLElement): HTMLElement {
  const rev = h('input', { type: 'number', min: 1, name: 'compact-revision', required: true, inputmode: 'numeric' }) as HTMLInputElement;
  const form = h('form', { class: 'row wrap' }, field('Revision', rev, 'History before this revision is discarded for good.'), h('button', { type: 'submit', class: 'danger' }, 'Compact…'));
  void rpc<{ header: GwHeader }>('/v3/kv/range', { key: 'AA==', count_only: true }).then((r) => (rev.value ||= r.header.revision ?? ''), () => {});
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void (async () => {
      if (!(await confirmAction(`Compact the key space at revision ${rev.value}? Every older revision is discarded; watches and reads before it fail.`, 'Compact'))) return;
      try {
        await rpc('/v3/kv/compaction', { revision: rev.value, physical: true });
        render(status, message('ok', `Compacted at revision ${rev.value}.`));
      } catch (err) {
        render(status, message('error', describe(err)));
      }
    })();
  });
  return section('Compaction', form);
}

function defragment(status: HTMLElement): HTMLElement {
  const run = async (): Promise<void> => {
    if (!(await confirmAction('Defragment this member? (cairn stores data in LevelDB, which compacts its files by itself: this is accepted and does nothing.)', 'Defragment'))) return;
    try {
      await rpc('/v3/maintenance/defragment');
      render(status, message('ok', 'Defragment finished.'));
    } catch (err) {
      render(status, message('error', describe(err)));
    }
  };
  return section('Defragment', h('button', { type: 'button', class: 'secondary', onclick: () => void run() }, 'Defragment…'));
}

function moveLeader(status: HTMLElement): HTMLElement {
  const target = h('select', { name: 'transferee' }) as HTMLSelectElement;
  const note = h('p', { class: 'hint' });
  void fetchCluster().then((c) => {
    const leader = leaderOf(c);
    for (const m of c.members) if (m.id !== leader && !m.isLearner) target.appendChild(h('option', { value: m.id }, `${m.name} (${m.id})`));
    const self = c.members.find((m) => m.self);
    const lead = c.members.find((m) => m.id === leader);
    note.textContent =
      self?.id === leader ? 'This member leads: it hands leadership to the member you pick.' : `Only the leader can hand over leadership: open this page on ${lead?.name ?? 'the leader'} (${lead?.clientUrls[0] ?? 'unknown'}/ui/).`;
  });
  const form = h('form', { class: 'row wrap' }, field('New leader', target), h('button', { type: 'submit', class: 'danger' }, 'Move leader…'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void (async () => {
      const name = target.selectedOptions[0]?.textContent ?? target.value;
      if (!(await confirmAction(`Move leadership to ${name}? Writes pause for an election round.`, 'Move leader'))) return;
      try {
        await rpc('/v3/maintenance/transfer-leadership', { targetID: target.value });
        render(status, message('ok', `${name} leads now.`));
      } catch (err) {
        render(status, message('error', describe(err)));
      }
    })();
  });
  return section('Move leader', note, form);
}

/** etcd's snapshot stream, saved as etcdctl saves it: every blob, the SHA-256 trailer last. */
async function downloadSnapshot(status: HTMLElement): Promise<void> {
  render(status, message('info', 'Reading the snapshot…'));
  try {
    const res = await request('/v3/maintenance/snapshot', { method: 'POST', body: '{}' });
    if (!res.ok || res.body === null) throw await errorFrom(res);
    const parts: Uint8Array[] = [];
    let size = 0;
    let buffer = '';
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (value !== undefined) buffer += value;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0 || (done && buffer.trim() !== '')) {
        const line = nl >= 0 ? buffer.slice(0, nl) : buffer;
        buffer = nl >= 0 ? buffer.slice(nl + 1) : '';
        if (line.trim() === '') continue;
        const msg = JSON.parse(line) as { result?: { blob?: string }; error?: { message?: string } };
        if (msg.error !== undefined) throw new Error(msg.error.message ?? 'snapshot failed');
        const blob = fromBase64(msg.result?.blob);
        parts.push(blob);
        size += blob.length;
      }
      if (done) break;
    }
    const url = URL.createObjectURL(new Blob(parts as BlobPart[], { type: 'application/octet-stream' }));
    const a = h('a', { href: url, download: `cairn-snapshot-${new Date().toISOString().replace(/[:.]/g, '-')}.db` });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    render(status, message('ok', `Snapshot saved (${size} bytes, cairn's backend format with etcd's SHA-256 trailer).`));
  } catch (err) {
    render(status, message('error', `Snapshot failed: ${describe(err)}`));
  }
}

export const maintenancePage: Page = {
  id: 'maintenance',
  title: 'Maintenance',
  mount(el) {
    const status = h('div', { 'aria-live': 'polite', id: 'maintenance-status' });
    render(
      el,
      h('h1', null, 'Maintenance'),
      status,
      h(
        'div',
        { class: 'cards' },
        compaction(status),
        defragment(status),
        moveLeader(status),
        section('Snapshot', h('p', null, "A point-in-time copy of this member's data."), h('button', { type: 'button', class: 'secondary', onclick: () => void downloadSnapshot(status) }, 'Download snapshot')),
      ),
    );
    return () => {};
  },
};
