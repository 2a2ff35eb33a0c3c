import type { EnvironmentRecord } from '../domain/environment.js';
import { QUOTA_LABELS, type QuotaName } from '../domain/quotas.js';
import type { TerminalSessionInfo } from '../domain/terminalSessionSchema.js';

export type CommentKind = 'accepted' | 'ready' | 'failed' | 'expiring' | 'destroyed' | 'rejected' | 'over-quota' | 'transcript';
export type Locale = 'fr' | 'en';

export interface CommentData {
  /** Absent only for `rejected`, where no environment exists. */
  env?: EnvironmentRecord;
  /** Base URL of the repro API as people reach it (config `publicUrl`). */
  publicUrl?: string;
  /** `Debian 12`, from the catalog; the image name is used when unknown. */
  imageLabel?: string;
  /** Why provisioning failed or the request was rejected. */
  reason?: string;
  /** Images that exist, for `rejected`. */
  images?: string[];
  /** For `over-quota`: the quota that refused the request and its limit. */
  quota?: { name: QuotaName; limit: number };
  /** For `transcript`: the session and its readable text, already bounded. */
  transcript?: TranscriptComment;
}

export interface TranscriptComment {
  session: TerminalSessionInfo;
  text: string;
  /** Only the end of the session is shown, or the recording itself was cut. */
  cut: boolean;
}

/** The CLI command that opens a terminal, from anywhere the API is reachable. */
export const shellCommand = (envId: string) => `repro shell ${envId}`;

/**
 * Comment texts, French and English. No line starts with `/repro`: our own comment comes back
 * in most systems' webhooks and must never read as a new request.
 */
export function renderComment(kind: CommentKind, locale: Locale, data: CommentData): string {
  const t = locale === 'en' ? EN : FR;
  const env = data.env;
  const api = (data.publicUrl ?? '').replace(/\/+$/, '');
  const head = env ? `[repro] ${t.env} ${env.id} (${env.kind === 'vm' ? 'VM' : t.container}, ${data.imageLabel ?? env.image})` : '[repro]';
  const when = (iso: string) => formatTime(iso, locale);
  switch (kind) {
    case 'accepted':
      return [head, t.accepted, env && env.packages.length > 0 ? `${t.packages}: ${env.packages.join(', ')}` : ''].filter(Boolean).join('\n');
    case 'ready': {
      const access = env?.access;
      const lines = [head, t.ready];
      if (env) lines.push(`${t.connect}: ${shellCommand(env.id)}`);
      if (env && api) lines.push(`${t.page}: ${api}/environments/${env.id}`, `${t.terminal}: ${api}/environments/${env.id}#terminal`);
      // A VM is also reachable over SSH (the key is on the environment's page).
      if (access?.command && env && access.command !== shellCommand(env.id)) lines.push(`${t.ssh}: ${access.command}`);
      if (env && api) lines.push(`${t.exec}: POST ${api}/v1/environments/${env.id}/exec`);
      if (env) lines.push(`${t.image}: ${env.image}${data.imageLabel ? ` (${data.imageLabel})` : ''}`);
      const p = env?.provenance;
      if (p) {
        lines.push(`${t.build}: ${p.imageTag} (${t.revision} ${p.imageRevision}, ${p.imageDigest.slice(0, 19)})`);
        const installed = Object.entries(p.packages).map(([name, version]) => `${name} ${version}`);
        if (installed.length > 0) lines.push(`${t.installed}: ${installed.join(', ')}`);
        if (api) lines.push(`${t.recreate}: POST ${api}/v1/environments {"from": "${env.id}", "ticket": …}`);
      }
      if (env) lines.push(`${t.expires}: ${when(env.expiresAt)}`);
      if (env && api) lines.push(`${t.extend}: POST ${api}/v1/environments/${env.id}/extend {"ttl": "1d"}`);
      return lines.join('\n');
    }
    case 'failed':
      return [head, t.failed, `${t.reason}: ${data.reason ?? env?.error?.message ?? t.unknown}`].join('\n');
    case 'expiring': {
      const lines = [head, `${t.expiring} ${env ? when(env.expiresAt) : ''}`.trim()];
      if (env && api) lines.push(`${t.extend}: POST ${api}/v1/environments/${env.id}/extend {"ttl": "1d"}`);
      return lines.join('\n');
    }
    case 'destroyed':
      return [head, t.destroyed].join('\n');
    case 'transcript': {
      const tr = data.transcript;
      if (!tr) return [head, t.transcriptGone].join('\n');
      const s = tr.session;
      const lines = [head, `${t.session} ${s.id}: ${s.actor}, ${when(s.startedAt)}${s.durationMs === undefined ? '' : `, ${duration(s.durationMs)}`}.`];
      if (env && api) lines.push(`${t.recording}: ${api}/v1/environments/${env.id}/terminal/sessions/${s.id}`);
      lines.push(tr.cut ? t.transcriptCut : t.transcriptText);
      // Quoted: the text is whatever the session printed, and a line of it must never read as a /repro request.
      lines.push(...tr.text.replace(/\n+$/, '').split('\n').map((line) => `> ${line}`));
      return lines.join('\n');
    }
    case 'rejected':
      return [
        head,
        `${t.rejected}: ${data.reason ?? t.unknown}`,
        data.images && data.images.length > 0 ? `${t.available}: ${data.images.join(', ')}` : '',
        t.syntax,
      ].filter(Boolean).join('\n');
    case 'over-quota':
      return [
        head,
        data.quota ? `${t.overQuota}${t.colon} ${t.quotas[data.quota.name]} (${t.limit} ${data.quota.limit}).` : `${t.overQuota}.`,
        t.overQuotaHelp,
      ].join('\n');
  }
}

function duration(ms: number): string {
  const total = Math.round(ms / 1000);
  const m = Math.floor(total / 60);
  return m > 0 ? `${m} min ${total % 60} s` : `${total} s`;
}

function formatTime(iso: string, locale: Locale): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  // Fixed zone: the worker's zone is not the reader's; UTC is unambiguous on a ticket.
  const text = new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : 'fr-FR', { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(date);
  return `${text} UTC`;
}

const FR = {
  env: 'Environnement',
  container: 'conteneur',
  accepted: 'Demande acceptée : l’environnement est en cours de création. Un commentaire suivra quand il sera prêt.',
  packages: 'Paquets',
  ready: 'L’environnement est prêt.',
  connect: 'Connexion',
  page: 'Page',
  terminal: 'Terminal',
  ssh: 'SSH',
  exec: 'Exécuter une commande',
  image: 'Image',
  build: 'Construction',
  revision: 'révision',
  installed: 'Versions installées',
  recreate: 'Recréer à l’identique',
  expires: 'Expire le',
  extend: 'Prolonger',
  failed: 'La création de l’environnement a échoué ; rien n’a été laissé en place.',
  reason: 'Raison',
  unknown: 'inconnue',
  expiring: 'L’environnement sera détruit le',
  destroyed: 'L’environnement a été détruit.',
  rejected: 'Demande refusée',
  available: 'Images disponibles',
  syntax: 'Syntaxe : « /repro <image> +paquet … [--vm] [--ttl 2d] » au début d’une ligne.',
  overQuota: 'Demande refusée, quota atteint',
  colon: ' :',
  limit: 'limite :',
  overQuotaHelp: 'Supprimez un environnement devenu inutile ou attendez qu’un environnement expire, puis renouvelez la demande.',
  quotas: {
    perTicket: 'environnements actifs pour ce ticket',
    perRequester: 'environnements actifs pour ce demandeur',
    vmPerRequester: 'VM actives pour ce demandeur',
    vmOverall: 'VM actives au total',
    overall: 'environnements actifs au total',
  } as Record<QuotaName, string>,
  session: 'Session de terminal',
  recording: 'Enregistrement (asciicast)',
  transcriptText: 'Transcription :',
  transcriptCut: 'Transcription (fin de la session seulement) :',
  transcriptGone: 'La transcription de cette session n’existe plus.',
};

const EN: typeof FR = {
  env: 'Environment',
  container: 'container',
  accepted: 'Request accepted: the environment is being created. Another comment will follow when it is ready.',
  packages: 'Packages',
  ready: 'The environment is ready.',
  connect: 'Connect',
  page: 'Page',
  terminal: 'Terminal',
  ssh: 'SSH',
  exec: 'Run a command',
  image: 'Image',
  build: 'Build',
  revision: 'revision',
  installed: 'Installed versions',
  recreate: 'Recreate exactly',
  expires: 'Expires',
  extend: 'Extend',
  failed: 'Creating the environment failed; nothing was left behind.',
  reason: 'Reason',
  unknown: 'unknown',
  expiring: 'The environment will be destroyed on',
  destroyed: 'The environment has been destroyed.',
  rejected: 'Request rejected',
  available: 'Available images',
  syntax: 'Syntax: "/repro <image> +package … [--vm] [--ttl 2d]" at the start of a line.',
  overQuota: 'Request rejected, quota reached',
  colon: ':',
  limit: 'limit:',
  overQuotaHelp: 'Delete an environment that is no longer needed or wait for one to expire, then ask again.',
  quotas: QUOTA_LABELS,
  session: 'Terminal session',
  recording: 'Recording (asciicast)',
  transcriptText: 'Transcript:',
  transcriptCut: 'Transcript (end of the session only):',
  transcriptGone: 'The transcript of this session no longer exists.',
};
