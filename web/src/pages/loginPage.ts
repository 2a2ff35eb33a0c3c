import { html } from 'lit-html';
import { api, ApiError } from '../api.js';
import { t } from '../i18n.js';
import type { Page, Rerender } from '../main.js';

/** Single sign-on when the service has it; an API token otherwise (exchanged for the same session cookie). */
export function loginPage(rerender: Rerender, params: URLSearchParams, onSignedIn: () => Promise<void>): Page {
  let sso: boolean | undefined;
  let error = params.get('error') ? t('loginFailed') : '';
  const returnTo = params.get('returnTo') ?? '/';
  void api<{ sso: boolean }>('GET', '/auth/info').then((info) => { sso = info.sso; rerender(); });

  const submitToken = async (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const token = (new FormData(form).get('token') as string).trim();
    try {
      await api('POST', '/auth/token', { token });
      await onSignedIn();
    } catch (err) {
      error = err instanceof ApiError ? err.message : String(err);
      rerender();
    }
  };

  return {
    view: () => html`
      <section class="login">
        <h1 tabindex="-1">${t('loginTitle')}</h1>
        ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
        ${sso ? html`<p><a class="button primary" data-external href=${`/auth/login?returnTo=${encodeURIComponent(returnTo)}`}>${t('loginSso')}</a></p>` : ''}
        <form @submit=${submitToken}>
          <h2>${t('loginToken')}</h2>
          <label for="token">${t('tokenLabel')}</label>
          <input id="token" name="token" type="password" autocomplete="off" required />
          <button type="submit">${t('tokenSubmit')}</button>
        </form>
      </section>`,
  };
}
