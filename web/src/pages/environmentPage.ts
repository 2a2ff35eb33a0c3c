import { html } from 'lit-html';
import { ref, createRef } from 'lit-html/directives/ref.js';
import { api, ApiError, followEvents, optional, type Access, type Environment, type EnvironmentEventView, type TerminalSessionInfo } from '../api.js';
import { dateTime, relative, t, type Key } from '../i18n.js';
import type { Page, Rerender } from '../main.js';
import { stateBadge } from './stateBadge.js';

const EXTEND_CHOICES = ['1h', '4h', '8h', '1d', '2d', '7d'];

/** One environment: state, access, progress live, extend, delete, and a terminal once it is ready. */
export function environmentPage(id: string, rerender: Rerender): Page {
  let env: Environment | undefined;
  let loadError = '';
  const events: EnvironmentEventView[] = [];
  let streamTrouble = false;
  let notice = '';
  let actionError = '';
  let extendTtl = '4h';
  let secrets: Access | undefined;
  // Undefined while unknown or where the server keeps no transcripts.
  let sessions: TerminalSessionInfo[] | undefined;
  const loadSessions = async () => {
    sessions = (await optional<{ items: TerminalSessionInfo[] }>('GET', `/v1/environments/${encodeURIComponent(id)}/terminal/sessions`).catch(() => undefined))?.items;
    rerender();
  };
  void loadSessions();
  let terminal: { close(): void } | undefined;
  let terminalNote: Key | undefined;
  const dialog = createRef<HTMLDialogElement>();
  const termHost = createRef<HTMLDivElement>();

  // `…/environments/ID#terminal` (the ticket's "ready" comment links it) opens the terminal as
  // soon as the environment is ready: now, or when provisioning ends while the page is open.
  let terminalWanted = location.hash === '#terminal';
  const load = async () => {
    try {
      env = await api<Environment>('GET', `/v1/environments/${encodeURIComponent(id)}`);
      loadError = '';
    } catch (err) {
      loadError = err instanceof ApiError ? err.message : String(err);
    }
    rerender();
    if (terminalWanted && env?.state === 'ready' && !terminal) {
      terminalWanted = false;
      void openTerm();
    }
  };
  void load();
  const stop = followEvents(id, (event) => {
    events.push(event);
    streamTrouble = false;
    // A state change (or progress that carries one) refreshes the record: access, expiry, error.
    if (event.type.startsWith('terminal.')) void loadSessions();
    rerender();
    if (event.state && event.state !== env?.state) void load();
  }, () => { streamTrouble = true; rerender(); });

  const act = async (fn: () => Promise<void>) => {
    actionError = '';
    notice = '';
    try {
      await fn();
    } catch (err) {
      actionError = err instanceof ApiError ? err.message : String(err);
    }
    rerender();
  };
  const extend = (event: SubmitEvent) => {
    event.preventDefault();
    void act(async () => {
      env = await api<Environment>('POST', `/v1/environments/${encodeURIComponent(id)}/extend`, { ttl: extendTtl });
      notice = t('extended', { at: dateTime(env.expiresAt) });
    });
  };
  const destroy = () => {
    dialog.value?.close();
    void act(async () => {
      env = await api<Environment>('DELETE', `/v1/environments/${encodeURIComponent(id)}`);
      notice = t('deleting');
      closeTerminal();
    });
  };
  const openTerm = async () => {
    terminalNote = 'terminalConnecting';
    rerender();
    // xterm is loaded only when a terminal is opened: the rest of the console stays light.
    const { openTerminal } = await import('./openTerminal.js');
    // Shown first: xterm measures its box to size the terminal.
    const session = { close: () => {} };
    terminal = session;
    terminalNote = undefined;
    rerender();
    if (!termHost.value) return;
    session.close = openTerminal(termHost.value, id, (reason) => {
      terminalNote = reason;
      if (terminal === session) terminal = undefined;
      rerender();
      void loadSessions();
    });
  };
  const closeTerminal = () => {
    terminal?.close();
    terminal = undefined;
  };

  const view = () => {
    if (loadError && !env) return html`<h1 tabindex="-1">${id}</h1><p class="error" role="alert">${loadError}</p>`;
    if (!env) return html`<h1 tabindex="-1">${id}</h1><p>${t('loading')}</p>`;
    const e = env;
    const live = !['destroying', 'destroyed'].includes(e.state);
    return html`
      <h1 tabindex="-1">${e.id} ${stateBadge(e.state)}</h1>
      <p class="sr-only" role="status">${t('colState')}: ${t(`state_${e.state}`)}</p>
      <p class="lead">${e.ticket.url ? html`<a href=${e.ticket.url} data-external target="_blank" rel="noopener noreferrer">${e.ticket.system}:${e.ticket.id}</a>` : `${e.ticket.system}:${e.ticket.id}`}
        ${e.ticket.title ? ` — ${e.ticket.title}` : ''}</p>
      ${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
      ${actionError ? html`<p class="error" role="alert">${actionError}</p>` : ''}
      ${e.error ? html`<section class="failure" aria-labelledby="failure-title"><h2 id="failure-title">${t('failedTitle')}</h2><p>${e.error.message}</p></section>` : ''}
      <div class="columns">
        <section aria-labelledby="details-title">
          <h2 id="details-title">${t('details')}</h2>
          <dl class="facts">
            <dt>${t('image')}</dt><dd>${e.image} (${e.kind === 'vm' ? t('kindVm') : t('kindContainer')})</dd>
            <dt>${t('packagesList')}</dt><dd>${e.packages.length ? e.packages.join(' ') : '—'}</dd>
            <dt>${t('requester')}</dt><dd>${e.requester}</dd>
            <dt>${t('created')}</dt><dd>${dateTime(e.createdAt)} (${relative(e.createdAt)})</dd>
            ${e.readyAt ? html`<dt>${t('readyAt')}</dt><dd>${dateTime(e.readyAt)}</dd>` : ''}
            <dt>${t('expires')}</dt><dd data-testid="expires">${e.state === 'destroyed' ? '—' : html`${dateTime(e.expiresAt)} (${relative(e.expiresAt)})`}</dd>
            ${e.hostId ? html`<dt>${t('host')}</dt><dd>${e.hostId}</dd>` : ''}
            ${e.engine ? html`<dt>${t('engine')}</dt><dd>${e.engine}</dd>` : ''}
          </dl>
          <h2>${t('access')}</h2>
          ${e.access?.command ? html`<p>${t('accessCommand')}: <code>${e.access.command}</code></p>` : html`<p class="muted">${t('accessWait')}</p>`}
          ${e.kind === 'vm' && e.state === 'ready' ? secrets?.privateKey
            ? html`<pre class="secret" aria-label=${t('accessSecrets')}>${secrets.privateKey}</pre>`
            : html`<p><button type="button" @click=${() => act(async () => { secrets = await api<Access>('GET', `/v1/environments/${encodeURIComponent(id)}/access`); })}>${t('accessSecrets')}</button>
                <span class="muted">${t('accessSecretsNote')}</span></p>` : ''}
          ${live ? html`
            <form class="inline-form" @submit=${extend}>
              <label for="extend">${t('extendBy')}</label>
              <select id="extend" @change=${(ev: Event) => { extendTtl = (ev.target as HTMLSelectElement).value; }}>
                ${EXTEND_CHOICES.map((c) => html`<option ?selected=${c === extendTtl}>${c}</option>`)}
              </select>
              <button type="submit">${t('extend')}</button>
            </form>
            <p><button type="button" class="danger" @click=${() => dialog.value?.showModal()}>${t('delete')}</button></p>` : ''}
        </section>
        <section aria-labelledby="events-title">
          <h2 id="events-title">${t('events')} <span class="muted">${streamTrouble ? t('eventsLost') : live ? `(${t('eventsLive')})` : ''}</span></h2>
          <ol class="events" tabindex="0" aria-labelledby="events-title">
            ${/* Newest first in the DOM, shown at the bottom (column-reverse keeps the view on the newest line). */ ''}
            ${[...events].reverse().map((ev) => html`<li><time datetime=${ev.at}>${new Date(ev.at).toLocaleTimeString()}</time>
              <span class="actor">${ev.actor}</span> ${ev.message}</li>`)}
          </ol>
        </section>
      </div>
      <section aria-labelledby="terminal-title">
        <h2 id="terminal-title">${t('terminal')}</h2>
        ${e.state !== 'ready' ? html`<p class="muted">${t('terminalWhenReady')}</p>` : terminal
          ? html`<p><button type="button" @click=${() => { closeTerminal(); rerender(); }}>${t('terminalClose')}</button></p>`
          : html`<p><button type="button" class="primary" @click=${openTerm}>${t('terminalOpen')}</button></p>`}
        ${terminalNote ? html`<p class="notice" role="status" data-testid="terminal-note">${t(terminalNote)}</p>` : ''}
        <div class="terminal" ${ref(termHost)} ?hidden=${!terminal}></div>
        ${sessions?.length ? html`
          <h3>${t('terminalSessions')}</h3>
          <ul class="sessions">${sessions.map((s) => html`<li>
            ${dateTime(s.startedAt)} ${t('sessionBy', { actor: s.actor })}
            ${s.endedAt ? html`(${Math.round((s.durationMs ?? 0) / 1000)} s${s.endReason ? `, ${s.endReason}` : ''})
              <a href=${`/v1/environments/${encodeURIComponent(id)}/terminal/sessions/${s.id}`} data-external download>${t('sessionDownload')}</a>
              <button type="button" @click=${() => act(async () => {
                const r = await api<{ ticket: string }>('POST', `/v1/environments/${encodeURIComponent(id)}/terminal/sessions/${s.id}/attach`, {});
                notice = t('sessionAttached', { ticket: r.ticket });
              })}>${t('sessionAttach')}</button>` : html`(${t('sessionOpen')})`}
          </li>`)}</ul>` : ''}
      </section>
      <dialog ${ref(dialog)} aria-labelledby="confirm-title">
        <form method="dialog">
          <h2 id="confirm-title">${t('deleteConfirmTitle')}</h2>
          <p>${t('deleteConfirmText', { id: e.id })}</p>
          <p class="actions">
            <button value="cancel" autofocus>${t('cancel')}</button>
            <button type="button" class="danger" @click=${destroy}>${t('delete')}</button>
          </p>
        </form>
      </dialog>`;
  };

  return { view, dispose: () => { stop(); closeTerminal(); } };
}
