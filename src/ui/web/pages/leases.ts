/**
 * Leases: every lease with its remaining and granted TTL and the keys attached; grant one,
 * revoke one (after a confirmation: revoking deletes its keys).
 */
import { bytesOf, describe, rpc } from '../api.js';
import { showBytes } from '../bytes.js';
import { confirmAction, field, h, message, render } from '../dom.js';
import type { Page } from '../page.js';

/** Leases shown with their TTL and keys (one timetolive each); the rest are only counted. */
export const MAX_LEASES_SHOWN = 100;

interface TimeToLive {
  readonly ID: string;
  readonly TTL?: string;
  readonly grantedTTL?: string;
  readonly keys?: readonly string[];
}

export const leasesPage: Page = {
  id: 'leases',
  title: 'Leases',
  mount(el) {
    const list = h('div', { 'aria-busy': 'true' }, 'Loading…');
    const status = h('div', { 'aria-live': 'polite' });
    const ttl = h('input', { type: 'number', min: 1, value: '60', name: 'ttl', inputmode: 'numeric' }) as HTMLInputElement;
    const grant = h('form', { class: 'row wrap', 'aria-label': 'Grant a lease' }, field('TTL (seconds)', ttl), h('button', { type: 'submit' }, 'Grant lease'));
    grant.addEventListener('submit', (e) => {
      e.preventDefault();
      void rpc<{ ID: string; TTL: string }>('/v3/lease/grant', { TTL: Number(ttl.value) }).then(
        (r) => (render(status, message('ok', `Granted lease ${r.ID} with TTL ${r.TTL} s.`)), void load()),
        (err: unknown) => render(status, message('error', describe(err))),
      );
    });
    const revoke = async (id: string, keys: number): Promise<void> => {
      const ok = await confirmAction(`Revoke lease ${id}? ${keys === 0 ? 'No key is attached.' : `Its ${keys} attached ${keys === 1 ? 'key is' : 'keys are'} deleted.`}`, 'Revoke lease');
      if (!ok) return;
      try {
        await rpc('/v3/lease/revoke', { ID: id });
        render(status, message('ok', `Revoked lease ${id}.`));
      } catch (err) {
        render(status, message('error', describe(err)));
      }
      await load();
    };
    const load = async (): Promise<void> => {
      try {
        const { leases = [] } = await rpc<{ leases?: ReadonlyArray<{ ID: string }> }>('/v3/lease/leases');
        const shown = await Promise.all(leases.slice(0, MAX_LEASES_SHOWN).map((l) => rpc<TimeToLive>('/v3/lease/timetolive', { ID: l.ID, keys: true })));
        render(
          list,
          h('p', null, `${leases.length} ${leases.length === 1 ? 'lease' : 'leases'}${leases.length > MAX_LEASES_SHOWN ? `, the first ${MAX_LEASES_SHOWN} shown` : ''}.`),
          shown.length === 0
            ? null
            : h(
                'div',
                { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': 'Leases' },
                h(
                  'table',
                  null,
                  h('thead', null, h('tr', null, ...['ID', 'TTL left', 'Granted TTL', 'Keys', ''].map((c) => h('th', { scope: 'col' }, c)))),
                  h(
                    'tbody',
                    null,
                    ...shown.map((l) =>
                      h(
                        'tr',
                        null,
                        h('td', { class: 'mono' }, l.ID),
                        h('td', { class: 'num' }, Number(l.TTL ?? -1) < 0 ? 'expired' : `${l.TTL ?? 0} s`),
                        h('td', { class: 'num' }, `${l.grantedTTL ?? 0} s`),
                        h('td', { class: 'mono' }, (l.keys ?? []).map((k) => showBytes(bytesOf(k))).join(', ') || '—'),
                        h('td', null, h('button', { type: 'button', class: 'danger small', 'aria-label': `Revoke lease ${l.ID}`, onclick: () => void revoke(l.ID, l.keys?.length ?? 0) }, 'Revoke…')),
                      ),
                    ),
                  ),
                ),
              ),
          h('button', { type: 'button', class: 'secondary', onclick: () => void load() }, 'Refresh'),
        );
      } catch (err) {
        render(list, message('error', `Cannot list leases: ${describe(err)}`));
      }
      list.setAttribute('aria-busy', 'false');
    };
    render(el, h('h1', null, 'Leases'), grant, status, list);
    void load();
    return () => {};
  },
};
