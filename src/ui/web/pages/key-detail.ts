/**
 * One key: value, revisions, version, lease and its TTL; edit and delete guarded by the
 * mod_revision the editor was loaded at (a stale editor gets a conflict, never an overwrite);
 * history at older revisions until compaction.
 */
import { bytesOf, describe, rpc } from '../api.js';
import { decodeUtf8, showBytes, utf8 } from '../bytes.js';
import { confirmAction, field, h, message, render } from '../dom.js';
import { casDelete, casPut, conflictText, getKey, history } from '../kv-ops.js';
import { valueViewer } from '../value-view.js';

const HISTORY_MAX = 20;

async function leaseText(lease: string | undefined): Promise<string> {
  if (lease === undefined || lease === '0') return 'none';
  try {
    const r = await rpc<{ TTL?: string; grantedTTL?: string }>('/v3/lease/timetolive', { ID: lease });
    return Number(r.TTL ?? -1) < 0 ? `${lease} (expired)` : `${lease} (TTL ${r.TTL ?? 0} s of ${r.grantedTTL ?? 0} s)`;
  } catch (err) {
    return `${lease} (${describe(err)})`;
  }
}

/** Shows `key` in `el`; `onChange` is told when the key was written or deleted from here. */
export async function showKey(el: HTMLElement, key: Uint8Array, onChange: () => void): Promise<void> {
  render(el, h('p', null, 'Loading…'));
  const { kv, revision } = await getKey(key);
  const title = h('h2', { id: 'key-title', tabindex: -1 }, showBytes(key));
  if (kv === undefined) {
    render(el, title, message('info', `The key does not exist at revision ${revision}.`));
    return;
  }
  const value = bytesOf(kv.value);
  const loadedAt = Number(kv.mod_revision ?? 0);
  const status = h('div', { 'aria-live': 'polite' });
  const editable = decodeUtf8(value) !== undefined;
  const editor = h('textarea', { rows: 6, spellcheck: 'false' }) as HTMLTextAreaElement;
  editor.value = decodeUtf8(value) ?? '';
  const expected = h('input', { type: 'number', min: 0, inputmode: 'numeric', value: String(loadedAt), name: 'expected' }) as HTMLInputElement;
  const save = h('button', { type: 'submit' }, 'Save (compare-and-swap)');
  const form = h(
    'form',
    { class: 'edit', 'aria-label': 'Edit value' },
    field('New value (text)', editor),
    field('Only if mod revision is', expected, 'The write fails with a conflict if the key changed since this revision.'),
    h('div', { class: 'row' }, save, h('button', { type: 'button', class: 'danger', onclick: () => void remove() }, 'Delete…')),
    status,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void write();
  });
  const write = async (): Promise<void> => {
    const exp = Number(expected.value);
    try {
      const r = await casPut(key, utf8(editor.value), kv.lease ?? '', exp);
      if (r.ok) {
        onChange();
        await showKey(el, key, onChange);
        el.querySelector('#key-title')?.after(message('ok', `Saved at revision ${r.revision}.`));
      } else render(status, message('error', conflictText('written', exp, r.current)));
    } catch (err) {
      render(status, message('error', describe(err)));
    }
  };
  const remove = async (): Promise<void> => {
    if (!(await confirmAction(`Delete the key "${showBytes(key)}"? This cannot be undone.`, 'Delete key'))) return;
    const exp = Number(expected.value);
    try {
      const r = await casDelete(key, exp);
      if (!r.ok) return render(status, message('error', conflictText('deleted', exp, r.current)));
      onChange();
      render(el, title, message('ok', `Deleted at revision ${r.revision}.`));
    } catch (err) {
      render(status, message('error', describe(err)));
    }
  };
  const historyBox = h('div', null, h('button', { type: 'button', class: 'secondary', onclick: () => void loadHistory() }, 'Show history'));
  const loadHistory = async (): Promise<void> => {
    render(historyBox, h('p', null, 'Reading older revisions…'));
    try {
      const { entries, compacted } = await history(key, kv, HISTORY_MAX);
      render(
        historyBox,
        h('h3', null, 'History'),
        entries.length === 0 ? h('p', null, 'No earlier version of this key.') : null,
        h('ol', { class: 'history' }, ...entries.map((e) => h('li', null, h('span', { class: 'meta' }, `mod revision ${e.mod_revision ?? '?'}, version ${e.version ?? '?'}`), h('pre', { class: 'value small' }, showBytes(bytesOf(e.value)))))),
        compacted ? h('p', null, 'Older revisions have been compacted.') : null,
        entries.length === HISTORY_MAX ? h('p', null, `Showing the last ${HISTORY_MAX} versions.`) : null,
      );
    } catch (err) {
      render(historyBox, message('error', describe(err)));
    }
  };
  render(
    el,
    title,
    h(
      'dl',
      { class: 'meta-list' },
      h('div', null, h('dt', null, 'Create revision'), h('dd', null, kv.create_revision ?? '0')),
      h('div', null, h('dt', null, 'Mod revision'), h('dd', { id: 'mod-revision' }, kv.mod_revision ?? '0')),
      h('div', null, h('dt', null, 'Version'), h('dd', null, kv.version ?? '0')),
      h('div', null, h('dt', null, 'Lease'), h('dd', null, await leaseText(kv.lease))),
      h('div', null, h('dt', null, 'Read at revision'), h('dd', null, String(revision))),
    ),
    valueViewer(value),
    editable ? form : message('info', 'The value is binary: it is shown as hex and cannot be edited as text here.'),
    historyBox,
  );
}
