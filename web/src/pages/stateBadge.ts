import { html } from 'lit-html';
import { t, type Key } from '../i18n.js';

/** The state in words, colour only as a second cue. */
export const stateBadge = (state: string) =>
  html`<span class="state state-${state}" data-state=${state}>${t(`state_${state}` as Key)}</span>`;

export const STATES = ['requested', 'provisioning', 'ready', 'failed', 'destroying', 'destroyed'] as const;
