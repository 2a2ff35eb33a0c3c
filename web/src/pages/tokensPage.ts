import { html } from 'lit-html';
import { api, ApiError, optional, type Me, type TokenInfo } from '../api.js';
import { dateTime, t } from '../i18n.js';
import type { Page, Rerender } from '../main.js';

/** Tokens for automation: create always; list and revoke where the server offers them. */
export function tokensPage(me: Me, rerender: Rerender): Page {
  let items: TokenInfo[] | undefined;
  let listAvailable = true;
  let created: { name: string; token: string } | undefined;
  let error = '';

  const load = async () => {
    try {
      const res = await optional<{ items: TokenInfo[] }>('GET', '/v1/tokens');
      listAvailable = res !== undefined;
      items = res?.items ?? [];
    } catch (err) {
      error = err instanceof ApiError ? err.message : String(err);
    }
    rerender();
  };
  void load();

  const create = async (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    error = '';
    try {
      const ttl = (data.get('ttl') as string).trim();
      const res = await api<{ name: string; token: string }>('POST', '/v1/tokens', { name: data.get('name'), role: data.get('role'), ...(ttl ? { ttl } : {}) });
      created = { name: res.name, token: res.token };
      form.reset();
      await load();
    } catch (err) {
      error = err instanceof ApiError ? err.message : String(err);
      rerender();
    }
  };
  const revoke = async (name: string) => {
    if (!confirm(t('tokenRevokeConfirm', { name }))) return;
    try {
      await api('DELETE', `/v1/tokens/${encodeURIComponent(name)}`);
      await load();
    } catch (err) {
      error = err instanceof ApiError ? err.message : String(err);
      rerender();
    }
  };

  const view = () => html`
    <h1 tabindex="-1">${t('tokensTitle')}</h1>
    ${me.role !== 'admin' ? html`<p class="error">${t('forbidden')}</p>` : ''}
    ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
    ${created ? html`<div class="notice" role="status"><p>${t('tokenCreated', { name: created.name })}</p><p><code class="secret">${created.token}</code></p></div>` : ''}
    <form class="inline-form" @submit=${create}>
      <label for="token-name">${t('tokenName')}</label>
      <input id="token-name" name="name" required pattern="[A-Za-z0-9_.@\\-]{1,64}" />
      <label for="token-role">${t('tokenRole')}</label>
      <select id="token-role" name="role"><option>requester</option><option>support</option><option>admin</option></select>
      <label for="token-ttl">${t('tokenTtl')}</label>
      <input id="token-ttl" name="ttl" placeholder="30d" size="6" />
      <button type="submit" class="primary">${t('tokenCreate')}</button>
    </form>
    ${!listAvailable ? html`<p class="muted">${t('tokensListUnavailable')}</p>` : !items ? html`<p>${t('loading')}</p>` : html`
      <table class="list">
        <thead><tr><th scope="col">${t('tokenName')}</th><th scope="col">${t('tokenRole')}</th><th scope="col">${t('colCreated')}</th>
          <th scope="col">${t('colLastUsed')}</th><th scope="col">${t('colExpiresAt')}</th><th scope="col"><span class="sr-only">${t('tokenRevoke')}</span></th></tr></thead>
        <tbody>${items.map((k) => html`<tr><td>${k.name}</td><td>${k.role}</td><td>${k.createdAt ? dateTime(k.createdAt) : '—'}</td>
          <td>${k.lastUsedAt ? dateTime(k.lastUsedAt) : '—'}</td><td>${k.expiresAt ? dateTime(k.expiresAt) : '—'}</td>
          <td><button type="button" class="danger" @click=${() => revoke(k.name)} aria-label=${`${t('tokenRevoke')} ${k.name}`}>${t('tokenRevoke')}</button></td></tr>`)}</tbody>
      </table>`}`;
  return { view };
}
