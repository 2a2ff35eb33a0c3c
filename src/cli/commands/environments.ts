import type { EnvironmentEvent, EnvironmentRecord } from '../../domain/environment.js';
import { ReproError, ValidationError } from '../../domain/errors.js';
import type { ApiClient } from '../apiClient.js';
import { EXIT } from '../exitCodes.js';
import { emit, relative, table } from '../output.js';
import { readEventStream } from '../readEventStream.js';
import { createSpinner } from '../spinner.js';

export interface CreateOptions {
  ticket: string;
  image: string;
  vm?: boolean;
  package?: string[];
  ttl?: string;
  note?: string;
  wait?: boolean;
}

const path = (id: string) => `/v1/environments/${encodeURIComponent(id)}`;

/** `system:id`, as the list filter takes it. */
function parseTicket(value: string): { system: string; id: string } {
  const at = value.indexOf(':');
  if (at <= 0 || at === value.length - 1) throw new ValidationError('--ticket must be SYSTEM:ID, e.g. redmine:1234 or generic:T-1', 'ticket');
  return { system: value.slice(0, at), id: value.slice(at + 1) };
}

export async function listEnvironments(api: ApiClient, json: boolean, filter: { state?: string; ticket?: string; requester?: string }): Promise<number> {
  const query = new URLSearchParams(Object.entries(filter).filter(([, v]) => v !== undefined) as Array<[string, string]>);
  const { items } = await api.call<{ items: EnvironmentRecord[] }>('GET', `/v1/environments${query.size ? `?${query}` : ''}`);
  emit(json, items, () => items.length === 0 ? 'no environments' : table(
    ['id', 'state', 'kind', 'image', 'ticket', 'requester', 'expires in'],
    items.map((e) => [e.id, e.state, e.kind, e.image, `${e.ticket.system}:${e.ticket.id}`, e.requester, e.state === 'destroyed' ? '' : relative(e.expiresAt)]),
  ));
  return EXIT.ok;
}

export function describe(e: EnvironmentRecord): string {
  const lines = [
    `${e.id}  ${e.state}`,
    `  kind       ${e.kind}`,
    `  image      ${e.image}${e.packages.length ? ` + ${e.packages.join(' ')}` : ''}`,
    `  ticket     ${e.ticket.system}:${e.ticket.id}${e.ticket.url ? ` (${e.ticket.url})` : ''}`,
    `  requester  ${e.requester}`,
    `  created    ${e.createdAt}`,
    `  expires    ${e.expiresAt}${e.state === 'destroyed' ? '' : ` (in ${relative(e.expiresAt)})`}`,
  ];
  if (e.access?.command) lines.push(`  access     ${e.access.command}`);
  if (e.error) lines.push(`  error      ${e.error.message}`);
  if (e.state === 'ready') lines.push('', `Connect with: repro shell ${e.id}`);
  return lines.join('\n');
}

export async function showEnvironment(api: ApiClient, json: boolean, id: string): Promise<number> {
  const env = await api.call<EnvironmentRecord>('GET', path(id));
  emit(json, env, () => describe(env));
  return EXIT.ok;
}

export async function createEnvironment(api: ApiClient, json: boolean, o: CreateOptions): Promise<number> {
  const body = {
    ticket: parseTicket(o.ticket),
    image: o.image,
    kind: o.vm ? 'vm' : 'container',
    ...(o.package?.length ? { packages: o.package } : {}),
    ...(o.ttl ? { ttl: o.ttl } : {}),
    ...(o.note ? { note: o.note } : {}),
  };
  const created = await api.call<EnvironmentRecord>('POST', '/v1/environments', body);
  if (!o.wait) {
    emit(json, created, () => `${created.id} requested (${created.state}); follow it with: repro events ${created.id} -f`);
    return EXIT.ok;
  }
  const final = await waitReady(api, created, json);
  emit(json, final, () => describe(final));
  return final.state === 'ready' ? EXIT.ok : EXIT.failure;
}

/**
 * Follows the environment's event stream until it is ready or given up: a spinner with the
 * current step on a terminal, and every progress line (the package installation's output) as
 * it comes. With --json only the final record is printed (on stdout); progress goes to stderr.
 */
async function waitReady(api: ApiClient, env: EnvironmentRecord, json: boolean): Promise<EnvironmentRecord> {
  const spinner = createSpinner(`${env.id}: ${env.state}`);
  const abort = new AbortController();
  try {
    const res = await api.open(`${path(env.id)}/events`, 'text/event-stream', abort.signal);
    for await (const e of readEventStream<EnvironmentEvent>(res)) {
      if (e.type === 'progress') spinner.log(`  ${e.message}`);
      else if (!json) spinner.text(`${env.id}: ${e.message}`);
      if (e.type === 'failed') spinner.log(`  ${e.message}`);
      const retrying = e.type === 'failed' && e.data?.['retry'] === true;
      if (e.state === 'ready' || (e.state && ['destroying', 'destroyed'].includes(e.state)) || (e.type === 'failed' && !retrying)) break;
    }
  } finally {
    abort.abort();
    spinner.stop();
  }
  const final = await api.call<EnvironmentRecord>('GET', path(env.id));
  if (final.state !== 'ready' && !json) process.stderr.write(`${env.id} is ${final.state}${final.error ? `: ${final.error.message}` : ''}\n`);
  return final;
}

export async function extendEnvironment(api: ApiClient, json: boolean, id: string, ttl: string): Promise<number> {
  const env = await api.call<EnvironmentRecord>('POST', `${path(id)}/extend`, { ttl });
  emit(json, env, () => `${env.id} now expires at ${env.expiresAt} (in ${relative(env.expiresAt)})`);
  return EXIT.ok;
}

export async function removeEnvironment(api: ApiClient, json: boolean, id: string, wait: boolean): Promise<number> {
  let env = await api.call<EnvironmentRecord>('DELETE', path(id));
  if (wait) {
    const deadline = Date.now() + 10 * 60_000;
    while (env.state !== 'destroyed') {
      if (Date.now() > deadline) throw new ReproError('timeout', `${id} is still ${env.state} after 10 minutes`);
      await new Promise((r) => setTimeout(r, 500));
      env = await api.call<EnvironmentRecord>('GET', path(id));
    }
  }
  emit(json, env, () => `${env.id} ${env.state === 'destroyed' ? 'destroyed' : 'is being destroyed'}`);
  return EXIT.ok;
}

export async function showEvents(api: ApiClient, json: boolean, id: string, follow: boolean): Promise<number> {
  const line = (e: EnvironmentEvent) => (json ? JSON.stringify(e) : `${e.at}  ${e.type.padEnd(12)} ${e.actor.padEnd(10)} ${e.message}`);
  if (!follow) {
    const { items } = await api.call<{ items: EnvironmentEvent[] }>('GET', `${path(id)}/events`);
    for (const e of items) process.stdout.write(`${line(e)}\n`);
    return EXIT.ok;
  }
  const res = await api.open(`${path(id)}/events`, 'text/event-stream');
  // The stream ends when the environment is destroyed (or the server goes away).
  for await (const e of readEventStream<EnvironmentEvent>(res)) process.stdout.write(`${line(e)}\n`);
  return EXIT.ok;
}
