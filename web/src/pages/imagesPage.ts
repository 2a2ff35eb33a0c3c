import { html } from 'lit-html';
import { api, ApiError, type Image, type Me } from '../api.js';
import { t } from '../i18n.js';
import type { Page, Rerender } from '../main.js';

/** The catalog, read-only until the service offers image editing and builds. */
export function imagesPage(me: Me, rerender: Rerender): Page {
  let items: Image[] | undefined;
  let error = '';
  void api<{ items: Image[] }>('GET', '/v1/images').then(
    (r) => { items = r.items; rerender(); },
    (err: unknown) => { error = err instanceof ApiError ? err.message : String(err); rerender(); },
  );
  const view = () => html`
    <h1 tabindex="-1">${t('imagesTitle')}</h1>
    ${me.role !== 'admin' ? html`<p class="error">${t('forbidden')}</p>` : ''}
    <p class="muted">${t('imagesReadOnly')}</p>
    ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
    ${!items ? html`<p>${t('loading')}</p>` : html`
      <table class="list">
        <thead><tr><th scope="col">${t('colName')}</th><th scope="col">${t('colDistribution')}</th><th scope="col">${t('colFamily')}</th>
          <th scope="col">${t('colKinds')}</th><th scope="col">${t('colDescription')}</th></tr></thead>
        <tbody>${items.map((i) => html`<tr><td>${i.name}</td><td>${i.distribution} ${i.version}</td><td>${i.family}</td>
          <td>${i.kinds.map((k) => (k === 'vm' ? t('kindVm') : t('kindContainer'))).join(', ')}</td><td>${i.description}</td></tr>`)}</tbody>
      </table>`}`;
  return { view };
}
