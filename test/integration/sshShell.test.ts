import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execInContainer } from '../../src/provisioners/docker/execInContainer.js';
import { createKeyPair } from '../../src/provisioners/libvirt/keyPair.js';
import { sshShell } from '../../src/provisioners/libvirt/sshShell.js';
import { LABELS } from '../../src/provisioners/port.js';
import { waitFor } from '../support/harness.js';

/**
 * The VM terminal's SSH side against a real OpenSSH server: a container this test creates
 * (Debian 12, openssh-server from the mirror), reached on its bridge address. Booting a real VM
 * takes minutes under TCG; vmLifecycle.test.ts drives the same code through a VM.
 */
describe('sshShell against OpenSSH', () => {
  const docker = new Docker();
  const instance = `sshshell-${randomBytes(4).toString('hex')}`;
  let container: Docker.Container;
  let target: { host: string; port: number; user: string; privateKey: string };

  beforeAll(async () => {
    container = await docker.createContainer({
      Image: 'repro/debian-12:latest',
      Cmd: ['sleep', 'infinity'],
      Labels: { [LABELS.managed]: 'true', [LABELS.environment]: instance, [LABELS.instance]: instance },
      HostConfig: { Init: true },
    });
    await container.start();
    const keys = await createKeyPair(mkdtempSync(join(tmpdir(), 'repro-sshshell-')), instance);
    const setup = await execInContainer(container, ['sh', '-c', [
      'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends openssh-server',
      'mkdir -p /run/sshd /root/.ssh && chmod 700 /root/.ssh',
      `echo '${keys.publicKey}' > /root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys`,
      '/usr/sbin/sshd',
    ].join(' && ')], { timeoutMs: 300_000, maxOutputBytes: 1 << 20 });
    expect(setup.exitCode, setup.stderr).toBe(0);
    const info = await container.inspect();
    target = { host: info.NetworkSettings.Networks['bridge']?.IPAddress ?? '', port: 22, user: 'root', privateKey: keys.privateKey };
  }, 400_000);

  afterAll(async () => {
    await container?.remove({ force: true }).catch(() => undefined);
  });

  it('opens a login shell on a PTY of the asked size, follows a window change, and reports the exit code', async () => {
    const session = await sshShell(target, { cols: 90, rows: 25 });
    let output = '';
    session.onData((chunk) => { output += chunk.toString('utf8'); });
    const exited = new Promise<number | undefined>((resolve) => session.onExit(resolve));
    const until = (pattern: RegExp) => waitFor(async () => pattern.exec(output) ?? undefined, 15_000, `${pattern}; got:\n${output}`);

    session.write(Buffer.from('cat /etc/os-release; tty; stty size\r'));
    await until(/VERSION_CODENAME=bookworm/);
    await until(/\/dev\/pts\/\d+/);
    await until(/\b25 90\b/);
    await session.resize({ cols: 140, rows: 45 });
    session.write(Buffer.from('stty size\r'));
    await until(/\b45 140\b/);
    session.write(Buffer.from('exit 4\r'));
    expect(await exited).toBe(4);
  });

  it('fails with a provider error naming the address when nothing listens', async () => {
    await expect(sshShell({ ...target, port: 2 }, { cols: 80, rows: 24 })).rejects.toThrow(new RegExp(`ssh to ${target.host.replace(/\./g, '\\.')}:2 failed`));
  });
});
