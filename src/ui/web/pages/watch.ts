/**
 * Watch: a live tail of the events under a prefix over the plain API's SSE watch. Pausing
 * closes the stream; resuming opens it at the revision after the last one shown, so nothing is
 * lost or shown twice (unless that revision was compacted meanwhile, which the page says).
 * Also shows how many watchers the member holds (etcd_debugging_mvcc_watcher_total).
 */
import { bytesOf, describe, getText } from '../api.js';
import { keyPath, showBytes, utf8 } from '../bytes.js';
import { field, h, message, render } from '../dom.js';
import { poll, type Page } from '../page.js';
import { parseMetrics, total } from '../prom.js';
import { watchPrefix, type WatchEvent } from '../sse.js';

/** Rows kept on screen; older ones are dropped (the tail, not an archive). */
export const MAX_ROWS = 500;

function eventRow(revision: number, e: WatchEvent): HTMLTableRowElement {
  const type = e.type ?? 'PUT';
  const value = type === 'DELETE' ? '' : showBytes(bytesOf(e.kv.value));
  return h(
    'tr',
    { class: type.toLowerCase() },
    h('td', { class: 'num' }, String(revision)),
    h('td', null, type),
    h('td', { class: 'mono' }, showBytes(bytesOf(e.kv.key))),
    h('td', { class: 'mono clip' }, value.length > 200 ? `${value.slice(0, 200)}…` : value),
  );
}

export const watchPage: Page = {
  id: 'watch',
  title: 'Watch',
  mount(el) {
    const prefixInput = h('input', { type: 'search', name: 'watch-prefix', placeholder: '(every key)', autocomplete: 'off' }) as HTMLInputElement;
    const startBtn = h('button', { type: 'submit' }, 'Watch');
    const pauseBtn = h('button', { type: 'button', class: 'secondary', disabled: true, 'aria-pressed': 'false' }, 'Pause');
    const clearBtn = h('button', { type: 'button', class: 'secondary' }, 'Clear');
    const state = h('p', { role: 'status', id: 'watch-state' }, 'Not watching.');
    const watchers = h('span', { id: 'watcher-count' }, '…');
    const rows = h('tbody', { id: 'events' });
    let controller: AbortController | undefined;
    let prefix = '';
    let lastRevision = 0;
    let paused = false;

    const stop = (): void => {
      controller?.abort();
      controller = undefined;
    };
    const start = (fromRevision: number | undefined): void => {
      stop();
      const c = new AbortController();
      controller = c;
      const rev = fromRevision === undefined ? '' : `&rev=${fromRevision}`;
      const path = `/kv/${keyPath(utf8(prefix))}?watch&prefix${rev}`;
      watchPrefix(
        path,
        {
          onStart: (r) => render(state, `Watching "${prefix}" from revision ${fromRevision ?? r + 1}.`),
          onRevision: (r, events) => {
            lastRevision = r;
            for (const e of events) rows.prepend(eventRow(r, e));
            while (rows.rows.length > MAX_ROWS) rows.lastElementChild?.remove();
          },
          onEnd: (why) => {
            if (controller === c) render(state, message('error', `Watch ended: ${why}.`));
          },
        },
        c.signal,
      ).catch((err: unknown) => {
        if (!c.signal.aborted) render(state, message('error', `Watch failed: ${describe(err)}`));
      });
    };
    const form = h('form', { class: 'row wrap', 'aria-label': 'Watch a prefix' }, field('Key prefix', prefixInput), startBtn, pauseBtn, clearBtn);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      prefix = prefixInput.value;
      paused = false;
      lastRevision = 0;
      pauseBtn.disabled = false;
      pauseBtn.textContent = 'Pause';
      pauseBtn.setAttribute('aria-pressed', 'false');
      start(undefined);
    });
    pauseBtn.addEventListener('click', () => {
      paused = !paused;
      pauseBtn.textContent = paused ? 'Resume' : 'Pause';
      pauseBtn.setAttribute('aria-pressed', String(paused));
      if (paused) {
        stop();
        render(state, `Paused after revision ${lastRevision}; resuming shows what happened meanwhile.`);
      } else start(lastRevision > 0 ? lastRevision + 1 : undefined);
    });
    clearBtn.addEventListener('click', () => rows.replaceChildren());
    render(
      el,
      h('h1', null, 'Watch'),
      h('p', null, 'Watchers held by this member: ', watchers),
      form,
      state,
      h(
        'div',
        { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': 'Events' },
        h('table', null, h('caption', null, `Events, newest first (last ${MAX_ROWS})`), h('thead', null, h('tr', null, ...['Revision', 'Type', 'Key', 'Value'].map((c) => h('th', { scope: 'col' }, c)))), rows),
      ),
    );
    const stopPoll = poll(2000, async () => {
      try {
        watchers.textContent = String(total(parseMetrics(await getText('/metrics')), 'etcd_debugging_mvcc_watcher_total') ?? 'unknown');
      } catch {
        watchers.textContent = 'unknown';
      }
    });
    return () => {
      stopPoll();
      stop();
    };
  },
};
