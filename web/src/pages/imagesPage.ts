import { html } from 'lit-html';
import { api, ApiError, followStream, type Build, type Image, type LogLine, type Me } from '../api.js';
import { dateTime, t } from '../i18n.js';
import type { Page, Rerender } from '../main.js';

/** A line of a build's log stream; the last one carries the build's final state. */

/** The catalog with each image's serving build; admins rebuild an image and follow the build's log live. */
export function imagesPage(me: Me, rerender: Rerender): Page {
  let items: Image[] | undefined;
  let broken: Array<{ file: string; field?: string; message: string }> = [];
  let error = '';
  let building: { image: string; build: Build; lines: string[]; state?: string; stop(): void } | undefined;

  const load = () => api<{ items: Image[]; broken: typeof broken }>('GET', '/v1/images').then(
    (r) => { items = r.items; broken = r.broken; rerender(); },
    (err: unknown) => { error = err instanceof ApiError ? err.message : String(err); rerender(); },
  );
  void load();

  const rebuild = async (name: string) => {
    error = '';
    try {
      const build = await api<Build>('POST', `/v1/images/${encodeURIComponent(name)}/builds`, {});
      building?.stop();
      const current: NonNullable<typeof building> = { image: name, build, lines: [], stop: () => undefined };
      building = current;
      current.stop = followStream<LogLine>(`/v1/images/${encodeURIComponent(name)}/builds/${build.id}`, (l) => {
        if (l.line !== undefined) current.lines.push(l.line);
        if (l.state) {
          current.state = l.state;
          void load();
        }
        rerender();
      }, (l) => l.state !== undefined, () => undefined);
    } catch (err) {
      error = err instanceof ApiError ? err.message : String(err);
    }
    rerender();
  };

  const view = () => html`
    <h1 tabindex="-1">${t('imagesTitle')}</h1>
    ${me.role !== 'admin' ? html`<p class="error">${t('forbidden')}</p>` : ''}
    <p class="muted">${t('imagesEditNote')}</p>
    ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
    ${broken.length ? html`<div class="failure" role="status"><p>${t('imagesBroken')}</p>
      <ul>${broken.map((b) => html`<li><code>${b.file}</code>${b.field ? html` (${b.field})` : ''}: ${b.message}</li>`)}</ul></div>` : ''}
    ${!items ? html`<p>${t('loading')}</p>` : html`
      <table class="list">
        <thead><tr><th scope="col">${t('colName')}</th><th scope="col">${t('colDistribution')}</th><th scope="col">${t('colFamily')}</th>
          <th scope="col">${t('colKinds')}</th><th scope="col">${t('colDescription')}</th><th scope="col">${t('colBuild')}</th></tr></thead>
        <tbody>${items.map((i) => html`<tr><td>${i.name}</td><td>${i.distribution} ${i.version}</td><td>${i.family}</td>
          <td>${i.kinds.map((k) => (k === 'vm' ? t('kindVm') : t('kindContainer'))).join(', ')}</td><td>${i.description}</td>
          <td>${i.state} (rev. ${i.revision}${i.source === 'api' ? ', API' : ''})
            ${i.current ? html`<div class="muted">${dateTime(i.current.builtAt)}</div>` : ''}
            ${me.role === 'admin' && i.kinds.includes('container')
              ? html`<div><button type="button" @click=${() => rebuild(i.name)} aria-label=${`${t('rebuild')} ${i.name}`}>${t('rebuild')}</button></div>` : ''}</td></tr>`)}</tbody>
      </table>`}
    ${building ? html`<section aria-labelledby="build-title">
      <h2 id="build-title">${t('buildOf', { image: building.image, id: building.build.id })} — ${building.state ?? t('buildRunning')}</h2>
      <ol class="events" aria-live="polite">${building.lines.map((l) => html`<li>${l}</li>`)}</ol></section>` : ''}`;
  return { view, dispose: () => building?.stop() };
}
