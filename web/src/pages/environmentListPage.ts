import { html } from 'lit-html';
import { api, ApiError, type Environment, type Image, type Me } from '../api.js';
import { relative, t } from '../i18n.js';
import type { Page, Rerender } from '../main.js';
import { STATES, stateBadge } from './stateBadge.js';

const POLL_MS = 4000;
type Scope = 'mine' | 'desk' | 'ticket';

/** Environments: mine, the desk's or one ticket's, filtered by state, image and ticket system; refreshed while shown. */
export function environmentListPage(me: Me, rerender: Rerender): Page {
  const params = new URLSearchParams(location.search);
  // A requester only ever sees its own environments: "the desk's" is for support and admins.
  let scope: Scope = (params.get('scope') as Scope | null) ?? 'mine';
  if (scope === 'desk' && me.role === 'requester') scope = 'mine';
  let ticket = params.get('ticket') ?? '';
  let state = params.get('state') ?? '';
  let image = '';
  let system = '';
  let items: Environment[] | undefined;
  let error = '';
  // Distribution and version beside each image name, from the catalog.
  let catalog = new Map<string, Image>();
  void api<{ items: Image[] }>('GET', '/v1/images').then(({ items }) => { catalog = new Map(items.map((i) => [i.name, i])); rerender(); }, () => undefined);

  const load = async () => {
    const q = new URLSearchParams({ limit: '200' });
    if (scope === 'mine') q.set('requester', me.name);
    if (scope === 'ticket' && /^[a-z][a-z0-9-]*:.+$/.test(ticket)) q.set('ticket', ticket);
    if (state) q.set('state', state);
    try {
      items = (await api<{ items: Environment[] }>('GET', `/v1/environments?${q}`)).items;
      error = '';
    } catch (err) {
      error = err instanceof ApiError ? err.message : String(err);
    }
    rerender();
  };
  void load();
  const timer = setInterval(() => { if (!document.hidden) void load(); }, POLL_MS);

  const keepInUrl = () => {
    const q = new URLSearchParams({ scope, ...(ticket ? { ticket } : {}), ...(state ? { state } : {}) });
    history.replaceState(null, '', `/?${q}`);
  };
  const set = (fn: () => void, reload = true) => {
    fn();
    keepInUrl();
    rerender();
    if (reload) void load();
  };

  const view = () => {
    const shown = (items ?? []).filter((e) => (!image || e.image === image) && (!system || e.ticket.system === system));
    const images = [...new Set((items ?? []).map((e) => e.image))].sort();
    const systems = [...new Set((items ?? []).map((e) => e.ticket.system))].sort();
    return html`
      <h1 tabindex="-1">${t('envTitle')}</h1>
      <div class="filters">
        <fieldset class="scope">
          <legend class="sr-only">${t('envTitle')}</legend>
          ${(me.role === 'requester' ? ['mine', 'ticket'] as const : ['mine', 'desk', 'ticket'] as const).map((s) => html`
            <label><input type="radio" name="scope" value=${s} .checked=${scope === s}
              @change=${() => set(() => { scope = s; })} />
              ${t(s === 'mine' ? 'scopeMine' : s === 'desk' ? 'scopeDesk' : 'scopeTicket')}</label>`)}
        </fieldset>
        ${scope === 'ticket' ? html`<label>${t('ticketFilter')}
          <input type="search" .value=${ticket} placeholder=${t('ticketFilterHint')}
            @change=${(e: Event) => set(() => { ticket = (e.target as HTMLInputElement).value.trim(); })} /></label>` : ''}
        <label>${t('filterState')}
          <select @change=${(e: Event) => set(() => { state = (e.target as HTMLSelectElement).value; })}>
            <option value="" ?selected=${!state}>${t('any')}</option>
            ${STATES.map((s) => html`<option value=${s} ?selected=${state === s}>${t(`state_${s}`)}</option>`)}
          </select></label>
        <label>${t('filterImage')}
          <select @change=${(e: Event) => set(() => { image = (e.target as HTMLSelectElement).value; }, false)}>
            <option value="">${t('any')}</option>
            ${images.map((i) => html`<option ?selected=${image === i}>${i}</option>`)}
          </select></label>
        <label>${t('filterSystem')}
          <select @change=${(e: Event) => set(() => { system = (e.target as HTMLSelectElement).value; }, false)}>
            <option value="">${t('any')}</option>
            ${systems.map((s) => html`<option ?selected=${system === s}>${s}</option>`)}
          </select></label>
      </div>
      ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
      ${items === undefined ? html`<p>${t('loading')}</p>` : shown.length === 0 ? html`<p>${t('none')}</p>` : html`
        <table class="list">
          <caption class="sr-only">${t('envTitle')} (${t('liveNote')})</caption>
          <thead><tr>
            <th scope="col">${t('colId')}</th><th scope="col">${t('colState')}</th><th scope="col">${t('colTicket')}</th>
            <th scope="col">${t('colImage')}</th><th scope="col">${t('colRequester')}</th><th scope="col">${t('colAge')}</th><th scope="col">${t('colExpires')}</th>
          </tr></thead>
          <tbody>${shown.map((e) => html`<tr>
            <td><a href=${`/environments/${e.id}`}>${e.id}</a></td>
            <td>${stateBadge(e.state)}</td>
            <td>${e.ticket.url ? html`<a href=${e.ticket.url} data-external rel="noopener noreferrer" target="_blank">${e.ticket.system}:${e.ticket.id}</a>` : `${e.ticket.system}:${e.ticket.id}`}
              ${e.ticket.title ? html`<div class="muted">${e.ticket.title}</div>` : ''}</td>
            <td>${e.image}${e.kind === 'vm' ? ' (VM)' : ''}
              ${catalog.has(e.image) ? html`<div class="muted">${catalog.get(e.image)!.distribution} ${catalog.get(e.image)!.version}</div>` : ''}</td>
            <td>${e.requester}</td>
            <td>${relative(e.createdAt)}</td>
            <td>${e.state === 'destroyed' ? '—' : relative(e.expiresAt)}</td>
          </tr>`)}</tbody>
        </table>`}
      <p class="muted">${t('liveNote')}</p>`;
  };

  return { view, dispose: () => clearInterval(timer) };
}
