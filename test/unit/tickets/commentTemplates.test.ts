import { describe, expect, it } from 'vitest';
import type { EnvironmentRecord } from '../../../src/domain/environment.js';
import { findReproLine } from '../../../src/tickets/reproCommand.js';
import { renderComment, type CommentKind } from '../../../src/tickets/commentTemplates.js';

const env = {
  id: 'env-0a1b2c3d4e5f', state: 'ready', kind: 'container', image: 'debian-12', packages: ['nginx'],
  ticket: { system: 'redmine', id: '1234' }, requester: 'redmine', createdAt: '2026-11-28T08:00:00Z', updatedAt: '2026-11-28T08:01:00Z',
  expiresAt: '2026-11-30T08:00:00Z', access: { name: 'repro-env-0a1b2c3d4e5f', command: 'repro shell env-0a1b2c3d4e5f' },
} as EnvironmentRecord;
const vm = { ...env, kind: 'vm', access: { name: 'repro-env-0a1b2c3d4e5f', host: '203.0.113.7', port: 2201, user: 'debian', command: 'ssh -p 2201 debian@203.0.113.7' } } as EnvironmentRecord;
const KINDS: CommentKind[] = ['accepted', 'ready', 'failed', 'expiring', 'destroyed', 'rejected', 'over-quota', 'transcript'];
const transcript = {
  session: { id: 'ts-0123456789abcdef', envId: env.id, actor: 'alice', startedAt: '2026-11-28T09:00:00Z', endedAt: '2026-11-28T09:03:05Z', durationMs: 185_000, cols: 80, rows: 24, bytes: 900, truncated: false },
  text: 'root@x:/# cat /etc/os-release\nVERSION_CODENAME=bookworm\n/repro debian-12 +evil\n',
  cut: false,
};

describe('comment templates', () => {
  it('ready links the environment\'s page and terminal, gives the CLI command, where to exec, which image, when it expires and how to extend', () => {
    const text = renderComment('ready', 'en', { env, publicUrl: 'https://repro.example.org/', imageLabel: 'Debian 12' });
    expect(text).toContain('Connect: repro shell env-0a1b2c3d4e5f');
    expect(text).toContain('Page: https://repro.example.org/environments/env-0a1b2c3d4e5f\n');
    expect(text).toContain('Terminal: https://repro.example.org/environments/env-0a1b2c3d4e5f#terminal');
    expect(text).not.toContain('docker exec');
    expect(text).not.toContain('SSH:');
    expect(text).toContain('POST https://repro.example.org/v1/environments/env-0a1b2c3d4e5f/exec');
    expect(text).toContain('debian-12 (Debian 12)');
    expect(text).toContain('30 November 2026 at 08:00 UTC');
    expect(text).toContain('/extend');
  });

  it('ready shows the exact build and package versions, and how to recreate the environment', () => {
    const provenance = { imageRevision: 3, imageTag: 'repro/debian-12:0123456789abcdef0123', imageDigest: 'sha256:aabbccddeeff00112233445566', packages: { nginx: '1.22.1-9', curl: '7.88.1-10+deb12u5' } };
    const text = renderComment('ready', 'en', { env: { ...env, provenance }, publicUrl: 'https://repro.example.org' });
    expect(text).toContain('Build: repro/debian-12:0123456789abcdef0123 (revision 3, sha256:aabbccddeeff');
    expect(text).toContain('Installed versions: nginx 1.22.1-9, curl 7.88.1-10+deb12u5');
    expect(text).toContain('Recreate exactly: POST https://repro.example.org/v1/environments {"from": "env-0a1b2c3d4e5f"');
    expect(renderComment('ready', 'fr', { env: { ...env, provenance } })).toContain('Versions installées: nginx 1.22.1-9');
    expect(text.split('\n').some((line) => line.trimStart().startsWith('/repro'))).toBe(false);
  });

  it('ready for a VM also gives its SSH command; without a public URL there are no links', () => {
    const text = renderComment('ready', 'en', { env: vm });
    expect(text).toContain('Connect: repro shell env-0a1b2c3d4e5f');
    expect(text).toContain('SSH: ssh -p 2201 debian@203.0.113.7');
    expect(text).not.toContain('Page:');
    expect(text).not.toContain('Terminal:');
  });

  it('transcript quotes every line of the session, so none reads as a /repro request', () => {
    const text = renderComment('transcript', 'en', { env, publicUrl: 'https://r', transcript });
    expect(text).toContain('Terminal session ts-0123456789abcdef: alice, 28 November 2026 at 09:00 UTC, 3 min 5 s.');
    expect(text).toContain('Recording (asciicast): https://r/v1/environments/env-0a1b2c3d4e5f/terminal/sessions/ts-0123456789abcdef');
    expect(text).toContain('> VERSION_CODENAME=bookworm');
    expect(text).toContain('> /repro debian-12 +evil');
    expect(renderComment('transcript', 'fr', { env, transcript: { ...transcript, cut: true } })).toContain('fin de la session seulement');
  });

  it('speaks French by default wording', () => {
    expect(renderComment('destroyed', 'fr', { env })).toContain('L’environnement a été détruit.');
    expect(renderComment('ready', 'fr', { env })).toContain('30 novembre 2026');
  });

  it('rejected lists the images and the reason', () => {
    const text = renderComment('rejected', 'en', { reason: 'unknown image "x"', images: ['debian-12', 'rocky-9'] });
    expect(text).toContain('unknown image "x"');
    expect(text).toContain('debian-12, rocky-9');
  });

  it('over-quota names the quota and its limit, in French and in English', () => {
    const fr = renderComment('over-quota', 'fr', { quota: { name: 'perTicket', limit: 3 } });
    expect(fr).toContain('Demande refusée, quota atteint : environnements actifs pour ce ticket (limite : 3).');
    const en = renderComment('over-quota', 'en', { quota: { name: 'vmPerRequester', limit: 2 } });
    expect(en).toContain('Request rejected, quota reached: live VMs per requester (limit: 2).');
  });

  it.each(KINDS.flatMap((k) => [[k, 'fr'], [k, 'en']] as const))('%s (%s) never reads as a new /repro request', (kind, locale) => {
    expect(findReproLine(renderComment(kind, locale, { env, publicUrl: 'https://r', reason: 'x', images: ['debian-12'], quota: { name: 'overall', limit: 1 }, transcript }))).toBeUndefined();
  });
});
