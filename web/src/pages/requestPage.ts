import { html } from 'lit-html';
import { parsePackage } from '../../../src/domain/packages.js';
import { parseDuration } from '../../../src/domain/parseDuration.js';
import { api, ApiError, type Environment, type Image } from '../api.js';
import { t } from '../i18n.js';
import type { Page, Rerender } from '../main.js';
import { navigate } from '../router.js';

const SYSTEMS = ['generic', 'glpi', 'redmine', 'jira', 'gitlab', 'zammad', 'mantis', 'rt'];

/** The request form: packages and TTL are checked as they are typed, by the same rules the API applies. */
export function requestPage(rerender: Rerender): Page {
  let images: Image[] = [];
  let imageName = '';
  let kind: 'container' | 'vm' = 'container';
  let packagesText = '';
  let ttl = '';
  let busy = false;
  let error: { message: string; field?: string } | undefined;

  void api<{ items: Image[] }>('GET', '/v1/images').then(({ items }) => {
    images = items;
    imageName = items.find((i) => i.name === 'debian-12')?.name ?? items[0]?.name ?? '';
    rerender();
  }, (err: unknown) => { error = { message: String((err as Error).message) }; rerender(); });

  const selected = () => images.find((i) => i.name === imageName);
  const packageList = () => packagesText.split(/[\s,]+/).filter(Boolean);
  const packageProblem = (): string | undefined => {
    const family = selected()?.family;
    if (!family) return undefined;
    for (const text of packageList()) {
      try {
        parsePackage(text, family);
      } catch {
        return t('packageInvalid', { text, family });
      }
    }
    return undefined;
  };
  const ttlProblem = (): string | undefined => {
    if (!ttl.trim()) return undefined;
    try {
      parseDuration(ttl);
      return undefined;
    } catch {
      return t('ttlInvalid', { text: ttl });
    }
  };

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    if (packageProblem() || ttlProblem()) return;
    const data = new FormData(event.target as HTMLFormElement);
    const url = (data.get('ticketUrl') as string).trim();
    const note = (data.get('note') as string).trim();
    busy = true;
    error = undefined;
    rerender();
    try {
      const env = await api<Environment>('POST', '/v1/environments', {
        ticket: { system: data.get('system'), id: (data.get('ticketId') as string).trim(), ...(url ? { url } : {}) },
        image: imageName,
        kind,
        packages: packageList(),
        ...(ttl.trim() ? { ttl: ttl.trim() } : {}),
        ...(note ? { note } : {}),
      });
      navigate(`/environments/${env.id}`);
    } catch (err) {
      busy = false;
      error = err instanceof ApiError ? { message: err.message, ...(err.field ? { field: err.field } : {}) } : { message: String(err) };
      rerender();
    }
  };

  const view = () => {
    const image = selected();
    const pkgError = packageProblem();
    const ttlError = ttlProblem();
    const fieldError = (name: string) => (error?.field?.startsWith(name) ? 'true' : 'false');
    return html`
      <h1 tabindex="-1">${t('newTitle')}</h1>
      <form class="request" @submit=${submit} novalidate>
        ${error ? html`<p class="error" role="alert">${error.message}</p>` : ''}
        <div class="row">
          <label for="system">${t('ticketSystem')}</label>
          <select id="system" name="system">${SYSTEMS.map((s) => html`<option>${s}</option>`)}</select>
          <label for="ticketId">${t('ticketId')}</label>
          <input id="ticketId" name="ticketId" required maxlength="64" pattern="[A-Za-z0-9._#:-]+" aria-invalid=${fieldError('ticket')} />
        </div>
        <label for="ticketUrl">${t('ticketUrl')}</label>
        <input id="ticketUrl" name="ticketUrl" type="url" maxlength="2048" placeholder="https://" />
        <label for="image">${t('image')}</label>
        <select id="image" name="image" aria-describedby="image-help"
          @change=${(e: Event) => {
            imageName = (e.target as HTMLSelectElement).value;
            if (!selected()?.kinds.includes(kind)) kind = selected()?.kinds[0] ?? 'container';
            rerender();
          }}>
          ${images.map((i) => html`<option value=${i.name} ?selected=${i.name === imageName}>${i.name}: ${i.distribution} ${i.version}</option>`)}
        </select>
        <p id="image-help" class="muted">${image ? html`${image.description} (${t('family', { family: image.family })})` : ''}</p>
        <fieldset>
          <legend>${t('kind')}</legend>
          ${(['container', 'vm'] as const).map((k) => html`<label class="inline">
            <input type="radio" name="kind" value=${k} .checked=${kind === k} ?disabled=${!image?.kinds.includes(k)}
              @change=${() => { kind = k; rerender(); }} /> ${t(k === 'vm' ? 'kindVm' : 'kindContainer')}</label>`)}
        </fieldset>
        <label for="packages">${t('packages')}</label>
        <textarea id="packages" name="packages" rows="2" spellcheck="false" aria-describedby="packages-help packages-error"
          aria-invalid=${pkgError || fieldError('packages') === 'true' ? 'true' : 'false'}
          .value=${packagesText} @input=${(e: Event) => { packagesText = (e.target as HTMLTextAreaElement).value; rerender(); }}></textarea>
        <p id="packages-help" class="muted">${t('packagesHint')}</p>
        <p id="packages-error" class="error" aria-live="polite">${pkgError ?? ''}</p>
        <label for="ttl">${t('ttl')}</label>
        <input id="ttl" name="ttl" placeholder="4h" aria-describedby="ttl-help ttl-error" aria-invalid=${ttlError ? 'true' : fieldError('ttl')}
          .value=${ttl} @input=${(e: Event) => { ttl = (e.target as HTMLInputElement).value; rerender(); }} />
        <p id="ttl-help" class="muted">${t('ttlHint')}</p>
        <p id="ttl-error" class="error" aria-live="polite">${ttlError ?? ''}</p>
        <label for="note">${t('note')}</label>
        <textarea id="note" name="note" rows="2" maxlength="2000"></textarea>
        <p><button type="submit" class="primary" ?disabled=${busy || !image || !!pkgError || !!ttlError}>${busy ? t('submitting') : t('submit')}</button></p>
      </form>`;
  };
  return { view };
}
