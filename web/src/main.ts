import { html, render, type TemplateResult } from 'lit-html';
import { api, ApiError, type Me } from './api.js';
import { lang, setLang, t } from './i18n.js';
import { navigate, onNavigate } from './router.js';
import { loginPage } from './pages/loginPage.js';
import { environmentListPage } from './pages/environmentListPage.js';
import { requestPage } from './pages/requestPage.js';
import { environmentPage } from './pages/environmentPage.js';
import { imagesPage } from './pages/imagesPage.js';
import { tokensPage } from './pages/tokensPage.js';
import './style.css';

/** What a page gives the shell: its content, re-rendered on demand, and what to stop when it is left. */
export interface Page {
  view(): TemplateResult;
  dispose?(): void;
}
export type Rerender = () => void;

const root = document.getElementById('app')!;
let me: Me | undefined;
let page: Page | undefined;

function route(path: string, rerender: Rerender): Page {
  if (!me) return loginPage(rerender, new URLSearchParams(location.search), signedIn);
  const env = /^\/environments\/([a-z0-9-]{1,64})$/.exec(path);
  if (path === '/' || path === '/environments') return environmentListPage(me, rerender);
  if (path === '/new') return requestPage(rerender);
  if (env) return environmentPage(env[1]!, rerender);
  if (path === '/admin/images') return imagesPage(me, rerender);
  if (path === '/admin/tokens') return tokensPage(me, rerender);
  return { view: () => html`<h1 tabindex="-1">${t('notFound')}</h1>` };
}

function shell(content: TemplateResult): TemplateResult {
  const here = location.pathname;
  const link = (href: string, label: string) => html`<a href=${href} aria-current=${here === href ? 'page' : 'false'}>${label}</a>`;
  return html`
    <header class="top">
      <a class="brand" href="/">${t('appName')}</a>
      ${me ? html`<nav aria-label="main">
        ${link('/', t('navEnvironments'))}
        ${link('/new', t('navNew'))}
        ${me.role === 'admin' ? html`${link('/admin/images', t('navImages'))} ${link('/admin/tokens', t('navTokens'))}
          <a href="/admin/queues" data-external>${t('navQueues')}</a>` : ''}
      </nav>` : ''}
      <div class="who">
        ${me ? html`<span>${t('signedInAs', { name: me.name, role: me.role })}</span>` : ''}
        <button type="button" class="link" lang=${lang === 'en' ? 'fr' : 'en'} aria-label=${t('switchLangLabel')}
          @click=${() => { setLang(lang === 'en' ? 'fr' : 'en'); draw(); }}>${t('switchLang')}</button>
        ${me ? html`<button type="button" class="link" @click=${signOut}>${t('signOut')}</button>` : ''}
      </div>
    </header>
    <main id="main" tabindex="-1">${content}</main>`;
}

function draw(): void {
  const skip = document.querySelector('.skip');
  if (skip) skip.textContent = t('skip');
  if (page) render(shell(page.view()), root);
}

function show(moveFocus = true): void {
  page?.dispose?.();
  page = route(location.pathname, draw);
  draw();
  // Moving focus to the new page's heading tells screen readers the page changed; a fresh load
  // leaves it at the top, where the skip link comes first.
  if (moveFocus) root.querySelector<HTMLElement>('main h1')?.focus();
}

async function signOut(): Promise<void> {
  const { redirect } = await api<{ redirect?: string }>('POST', '/auth/logout', {});
  me = undefined;
  if (redirect) location.assign(redirect);
  else navigate('/login', true);
}

/** Called by the login page once a session exists. */
export async function signedIn(): Promise<void> {
  me = await api<Me>('GET', '/v1/me');
  const back = new URLSearchParams(location.search).get('returnTo');
  const target = back && back.startsWith('/') && !back.startsWith('//') ? back : '/';
  // The service's own pages (the command line's sign-in) are not console pages: load them.
  if (target.startsWith('/auth/')) location.assign(target);
  else navigate(target, true);
}

onNavigate(() => show());
try {
  me = await api<Me>('GET', '/v1/me');
  if (location.pathname === '/login') history.replaceState(null, '', '/');
} catch (err) {
  if (!(err instanceof ApiError && err.status === 401)) throw err;
  if (location.pathname !== '/login') {
    history.replaceState(null, '', `/login?returnTo=${encodeURIComponent(location.pathname + location.search + location.hash)}`);
  }
}
show(false);
