/**
 * Keys: the key space as a tree by a separator (default `/`) under a prefix, a page of keys at
 * a time (keys only, no values, so a page costs the member little), the count under the prefix,
 * a form to create a key, and the selected key on the side (key-detail.ts).
 */
import { bytesOf, describe } from '../api.js';
import { showBytes, startsWith, utf8 } from '../bytes.js';
import { field, h, message, render } from '../dom.js';
import { after, conflictText, createKey, listKeys } from '../kv-ops.js';
import type { Page } from '../page.js';
import { showKey } from './key-detail.js';

export const PAGE_SIZE = 100;

interface Entry {
  readonly label: string;
  /** A folder is every key starting with `path`; a key is just `path`. */
  readonly path: Uint8Array;
  readonly folder: boolean;
  count: number;
}

/** Groups a page of keys one level below `prefix`: `a/b/c` under `a/` is the folder `b/`. */
export function group(keys: readonly Uint8Array[], prefix: Uint8Array, sep: Uint8Array): Entry[] {
  const out: Entry[] = [];
  const folders = new Map<string, Entry>();
  for (const key of keys) {
    const rest = key.subarray(prefix.length);
    const at = sep.length === 0 ? -1 : indexOf(rest, sep);
    if (at < 0) {
      out.push({ label: showBytes(rest), path: key, folder: false, count: 1 });
      continue;
    }
    const path = key.slice(0, prefix.length + at + sep.length);
    const label = showBytes(path.subarray(prefix.length));
    const existing = folders.get(label);
    if (existing !== undefined) existing.count++;
    else {
      const entry: Entry = { label, path, folder: true, count: 1 };
      folders.set(label, entry);
      out.push(entry);
    }
  }
  return out;
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

export const keysPage: Page = {
  id: 'keys',
  title: 'Keys',
  mount(el) {
    let prefix: Uint8Array = new Uint8Array(0);
    let pages: Uint8Array[] = [new Uint8Array(0)];
    let closed = false;
    const search = h('input', { type: 'search', name: 'prefix', placeholder: 'e.g. /registry/', autocomplete: 'off' }) as HTMLInputElement;
    const sepInput = h('input', { type: 'text', name: 'separator', value: '/', size: 3, maxlength: 8 }) as HTMLInputElement;
    const listing = h('div', { class: 'listing', 'aria-busy': 'true' });
    const detail = h('section', { class: 'detail', 'aria-label': 'Selected key' }, h('p', { class: 'hint' }, 'Select a key to see its value, revisions and history.'));

    const open = (key: Uint8Array): void => {
      void showKey(detail, key, () => void load()).then(
        () => (detail.querySelector('#key-title') as HTMLElement | null)?.focus(),
        (err: unknown) => render(detail, message('error', describe(err))),
      );
    };
    const go = (p: Uint8Array): void => {
      prefix = p;
      search.value = showBytes(p);
      pages = [new Uint8Array(0)];
      void load();
    };
    const load = async (): Promise<void> => {
      listing.setAttribute('aria-busy', 'true');
      const start = pages[pages.length - 1] as Uint8Array;
      try {
        const page = await listKeys(prefix, start, PAGE_SIZE);
        if (closed) return;
        const keys = page.kvs.map((kv) => bytesOf(kv.key));
        const entries = group(keys, prefix, utf8(sepInput.value));
        const crumbs = breadcrumbs(prefix, utf8(sepInput.value), go);
        const last = keys[keys.length - 1];
        render(
          listing,
          crumbs,
          h('p', { class: 'count', id: 'key-count' }, `${page.count} ${page.count === 1 ? 'key' : 'keys'} ${pages.length > 1 ? 'from here on ' : ''}under "${showBytes(prefix)}" at revision ${page.revision}`),
          entries.length === 0 ? h('p', null, 'No keys here.') : null,
          h(
            'ul',
            { class: 'tree', 'aria-label': 'Keys and folders' },
            ...entries.map((e) =>
              h(
                'li',
                { class: e.folder ? 'folder' : 'key' },
                h(
                  'button',
                  { type: 'button', class: 'link', onclick: () => (e.folder ? go(e.path) : open(e.path)) },
                  h('span', { 'aria-hidden': 'true' }, e.folder ? '▸ ' : '• '),
                  e.label,
                  e.folder ? h('span', { class: 'count' }, ` ${e.count}${page.more && last !== undefined && startsWith(last, e.path) ? '+' : ''} ${e.count === 1 ? 'key' : 'keys'}`) : null,
                ),
              ),
            ),
          ),
          h(
            'nav',
            { class: 'row pager', 'aria-label': 'Pages of keys' },
            h('button', { type: 'button', class: 'secondary', disabled: pages.length === 1, onclick: () => (pages.pop(), void load()) }, '← Previous'),
            h('span', null, `Page ${pages.length}`),
            h('button', { type: 'button', class: 'secondary', disabled: !page.more || last === undefined, onclick: () => last !== undefined && (pages.push(after(last)), void load()) }, 'Next →'),
          ),
        );
      } catch (err) {
        render(listing, message('error', `Cannot list keys: ${describe(err)}`));
      }
      listing.setAttribute('aria-busy', 'false');
    };

    const searchForm = h('form', { class: 'row wrap', role: 'search', 'aria-label': 'Find keys' }, field('Key prefix', search), field('Separator', sepInput), h('button', { type: 'submit' }, 'Show'));
    searchForm.addEventListener('submit', (e) => {
      e.preventDefault();
      go(utf8(search.value));
    });
    render(el, h('h1', null, 'Keys'), searchForm, h('div', { class: 'split' }, h('section', { 'aria-label': 'Key list' }, listing, createForm((key) => (void load(), open(key)))), detail));
    void load();
    return () => {
      closed = true;
    };
  },
};

function breadcrumbs(prefix: Uint8Array, sep: Uint8Array, go: (p: Uint8Array) => void): HTMLElement {
  const parts: HTMLElement[] = [h('li', null, h('button', { type: 'button', class: 'link', onclick: () => go(new Uint8Array(0)) }, '(all keys)'))];
  let at = 0;
  while (sep.length > 0 && at < prefix.length) {
    const next = indexOf(prefix.subarray(at), sep);
    const end = next < 0 ? prefix.length : at + next + sep.length;
    const path = prefix.slice(0, end);
    parts.push(h('li', null, h('button', { type: 'button', class: 'link', onclick: () => go(path) }, showBytes(prefix.subarray(at, end)))));
    at = end;
  }
  return h('nav', { 'aria-label': 'Breadcrumb' }, h('ol', { class: 'crumbs' }, ...parts));
}

function createForm(created: (key: Uint8Array) => void): HTMLElement {
  const key = h('input', { type: 'text', name: 'new-key', required: true, autocomplete: 'off' }) as HTMLInputElement;
  const value = h('textarea', { name: 'new-value', rows: 3, spellcheck: 'false' }) as HTMLTextAreaElement;
  const lease = h('input', { type: 'text', name: 'new-lease', inputmode: 'numeric', pattern: '[0-9]*', autocomplete: 'off' }) as HTMLInputElement;
  const status = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'create', 'aria-labelledby': 'create-title' },
    h('h2', { id: 'create-title' }, 'Create a key'),
    field('Key', key),
    field('Value (text)', value),
    field('Lease ID (optional)', lease, 'Decimal lease ID; the key is deleted when the lease expires.'),
    h('button', { type: 'submit' }, 'Create'),
    status,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const k = utf8(key.value);
    void createKey(k, utf8(value.value), lease.value.trim()).then(
      (r) => {
        if (!r.ok) return render(status, message('error', conflictText('created', undefined, r.current)));
        render(status, message('ok', `Created "${key.value}" at revision ${r.revision}.`));
        created(k);
      },
      (err: unknown) => render(status, message('error', describe(err))),
    );
  });
  return form;
}
