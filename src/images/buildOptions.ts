import type Docker from 'dockerode';
import type { RegistrySettings } from './registry.js';

/** Package mirrors per family: where debootstrap and the images' package sources point. */
export interface Mirrors {
  /** REPRO_DEBIAN_MIRROR. */
  debian: string;
  /** Security archive for Debian images; empty leaves it out. */
  debianSecurity: string;
  /** REPRO_UBUNTU_MIRROR. */
  ubuntu: string;
  /** Security archive for Ubuntu images; empty leaves it out. */
  ubuntuSecurity: string;
}

/** What image builds need from the configuration, and where they report progress. */
export interface BuildOptions {
  docker: Docker;
  mirrors: Mirrors;
  /** Scratch space for debootstrap: a local filesystem that allows exec and device nodes. */
  workDir: string;
  /** Bases are pulled from it when missing; builds are pushed to it and pulled from it instead of rebuilt. */
  registry?: RegistrySettings;
  /** Rebuild without the layer cache (refreshes package lists); the content hash stays the same. */
  noCache?: boolean;
  log: (line: string) => void;
}

/** deb.debian.org serves the security archive beside the main one; other mirrors rarely do. */
export function defaultSecurityMirror(mirror: string): string {
  const url = new URL(mirror);
  return url.hostname === 'deb.debian.org' ? `${url.protocol}//${url.host}/debian-security` : '';
}

/** Ubuntu's own archive has its security pocket on security.ubuntu.com; a mirror usually carries it. */
export function defaultUbuntuSecurityMirror(mirror: string): string {
  const url = new URL(mirror);
  return url.hostname === 'archive.ubuntu.com' ? `${url.protocol}//security.ubuntu.com/ubuntu` : '';
}

/** The mirrors from the configuration; the security archives are build settings of their own. */
export function mirrorsFrom(config: { debianMirror: string; ubuntuMirror: string }, env: NodeJS.ProcessEnv = process.env): Mirrors {
  return {
    debian: config.debianMirror,
    debianSecurity: env['REPRO_DEBIAN_SECURITY_MIRROR'] ?? defaultSecurityMirror(config.debianMirror),
    ubuntu: config.ubuntuMirror,
    ubuntuSecurity: env['REPRO_UBUNTU_SECURITY_MIRROR'] ?? defaultUbuntuSecurityMirror(config.ubuntuMirror),
  };
}
