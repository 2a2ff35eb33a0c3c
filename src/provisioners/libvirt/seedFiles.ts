import { stringify } from 'yaml';
import type { PackageManager } from '../../domain/packages.js';
import { packageProxyScript } from '../packageProxyScript.js';

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
  /** The disk is a package-set snapshot: the packages are there, only checked, never installed. */
  preinstalled?: boolean;
  /** The host's package cache (config packageCache.url): the package manager's HTTP proxy. None when absent. */
  proxyUrl?: string;
}

/**
 * NoCloud seed files. The marker runs as the last runcmd, i.e. after package installation
 * (cloud-init's final stage), and says whether every named package is installed, so a
 * ticket's typo fails the environment instead of yielding a VM without the package.
 */
export function seedFiles(s: SeedInput): Record<string, string> {
  const manager = s.packageManager ?? 'apt';
  const check = s.packages.length ? `${installedCheck(manager, s.packages)} >/dev/null 2>&1` : 'true';
  const marker =
    `mkdir -p ${dirOf(READY_FILE)}; if ${check}; then s=ok; else s=packages-missing; fi; ` +
    `echo "$s" > ${READY_FILE}; echo "${READY_MARKER} ${s.envId} $s" > /dev/ttyS0 2>/dev/null || true`;
  const install = s.packages.length > 0 && !s.preinstalled;
  const bootcmd = [
    ...imageBootcmd(s.cloudInit),
    // cloud-init has no proxy setting for dnf/yum: the config file is edited at every boot, before
    // the final stage installs the packages (after the image's own bootcmd, which may rewrite repos).
    ...(s.proxyUrl !== undefined && manager !== 'apt' ? [['sh', '-c', packageProxyScript(manager), 'sh', s.proxyUrl]] : []),
    // A snapshot's disk comes from another instance: its authorized keys and ready file are not
    // this VM's. Once per instance (a reboot keeps ours), before cloud-init adds this VM's key.
    ...(s.preinstalled ? [['cloud-init-per', 'instance', 'repro-snapshot-identity', 'rm', '-f', `/home/${s.user}/.ssh/authorized_keys`, READY_FILE]] : []),
  ];
  const userData = {
    ...s.cloudInit,
    ...(bootcmd.length > 0 ? { bootcmd } : {}),
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
    // http_proxy: Acquire::http::Proxy in the guest's apt configuration (HTTPS sources go around it).
    apt: { preserve_sources_list: true, ...(s.proxyUrl !== undefined && manager === 'apt' ? { http_proxy: s.proxyUrl } : {}) },
    // C.UTF-8 ships with libc: nothing to generate, unlike the default en_US.UTF-8.
    locale: 'C.UTF-8',
    package_update: install,
    package_upgrade: false,
    // An empty list fails cloud-init's schema check.
    ...(install ? { packages: s.packages } : {}),
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

function imageBootcmd(cloudInit: Record<string, unknown> | undefined): unknown[] {
  const own = cloudInit?.['bootcmd'];
  return Array.isArray(own) ? own : [];
}

function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}
