import { stringify } from 'yaml';
import type { PackageManager } from '../../domain/packages.js';

/** Printed on the serial console (and kept in READY_FILE) once cloud-init's last step ran. */
export const READY_MARKER = 'REPRO-READY';
export const READY_FILE = '/var/lib/repro/ready';

export interface SeedInput {
  envId: string;
  hostname: string;
  user: string;
  sshPublicKey: string;
  /** `name` or `name=version` (`name-version` for rpm), already validated. */
  packages: string[];
  /** Whose database says what is installed: dpkg for apt, rpm for dnf and yum. Default apt. */
  packageManager?: PackageManager;
  /** The image's cloud-config additions (validated: none of the keys set here). */
  cloudInit?: Record<string, unknown>;
}

/**
 * NoCloud seed files. The marker runs as the last runcmd, i.e. after package installation
 * (cloud-init's final stage), and says whether every named package is installed, so a
 * ticket's typo fails the environment instead of yielding a VM without the package.
 */
export function seedFiles(s: SeedInput): Record<string, string> {
  const check = s.packages.length ? `${installedCheck(s.packageManager ?? 'apt', s.packages)} >/dev/null 2>&1` : 'true';
  const marker =
    `mkdir -p ${dirOf(READY_FILE)}; if ${check}; then s=ok; else s=packages-missing; fi; ` +
    `echo "$s" > ${READY_FILE}; echo "${READY_MARKER} ${s.envId} $s" > /dev/ttyS0 2>/dev/null || true`;
  const userData = {
    ...s.cloudInit,
    hostname: s.hostname,
    preserve_hostname: false,
    manage_etc_hosts: true,
    users: [
      {
        name: s.user,
        shell: '/bin/bash',
        sudo: 'ALL=(ALL) NOPASSWD:ALL',
        lock_passwd: true,
        ssh_authorized_keys: [s.sshPublicKey],
      },
    ],
    ssh_pwauth: false,
    disable_root: true,
    // The image's sources point at the configured mirror; cloud-init must not rewrite them.
    apt: { preserve_sources_list: true },
    // C.UTF-8 ships with libc: nothing to generate, unlike the default en_US.UTF-8.
    locale: 'C.UTF-8',
    package_update: s.packages.length > 0,
    package_upgrade: false,
    // An empty list fails cloud-init's schema check.
    ...(s.packages.length > 0 ? { packages: s.packages } : {}),
    runcmd: [['sh', '-c', marker]],
  };
  return {
    'user-data': `#cloud-config\n${stringify(userData)}`,
    'meta-data': stringify({ 'instance-id': s.envId, 'local-hostname': s.hostname }),
  };
}

/** The family's own database: dpkg-query for apt images, rpm for dnf/yum ones (specs are validated, no shell metacharacters). */
function installedCheck(manager: PackageManager, packages: string[]): string {
  if (manager === 'apt') return `dpkg-query -W ${packages.map((p) => p.split('=')[0] ?? p).join(' ')}`;
  return `rpm -q ${packages.map((p) => p.replace('=', '-')).join(' ')}`;
}

function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}
