/**
 * The dashboard's shell: a navigation bar, one page at a time chosen by the URL hash (so the
 * back button and bookmarks work), and the login form when the member asks for credentials.
 */
import { describe, login, onUnauthorized } from './api.js';
import { field, h, message, render } from './dom.js';
import type { Page } from './page.js';
import { clusterPage } from './pages/cluster.js';
import { keysPage } from './pages/keys.js';
import { leasesPage } from './pages/leases.js';
import { maintenancePage } from './pages/maintenance.js';
import { metricsPage } from './pages/metrics.js';
import { watchPage } from './pages/watch.js';

const PAGES: readonly Page[] = [clusterPage, keysPage, watchPage, metricsPage, leasesPage, maintenancePage];

const main = document.getElementById('main') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;
let unmount: (() => void) | undefined;

render(nav, h('ul', null, ...PAGES.map((p) => h('li', null, h('a', { href: `#${p.id}`, 'data-page': p.id }, p.title)))));

function show(): void {
  const id = location.hash.slice(1);
  const page = PAGES.find((p) => p.id === id) ?? (PAGES[0] as Page);
  unmount?.();
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.page === page.id) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `${page.title} · cairn`;
  unmount = page.mount(main);
}

/** Shown when a request answers 401; resolves once a token was obtained. */
function askLogin(): Promise<void> {
  return new Promise((resolve) => {
    const name = h('input', { type: 'text', name: 'username', autocomplete: 'username', required: true }) as HTMLInputElement;
    const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true }) as HTMLInputElement;
    const status = h('div', { 'aria-live': 'assertive' });
    const form = h('form', { method: 'dialog' }, h('h2', { id: 'login-title' }, 'Log in to cairn'), h('p', null, 'This member has authentication enabled.'), field('User', name), field('Password', password), h('button', { type: 'submit' }, 'Log in'), status);
    const dialog = h('dialog', { 'aria-labelledby': 'login-title', class: 'login' }, form);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      login(name.value, password.value).then(
        () => {
          dialog.close();
          dialog.remove();
          resolve();
        },
        (err: unknown) => render(status, message('error', describe(err))),
      );
    });
    dialog.addEventListener('cancel', (e) => e.preventDefault());
    document.body.appendChild(dialog);
    dialog.showModal();
    name.focus();
  });
}

onUnauthorized(askLogin);
addEventListener('hashchange', show);
show();
