/** What image builds need from the configuration, and where they report progress. */
export interface BuildOptions {
  /** Debian package mirror (REPRO_DEBIAN_MIRROR) for debootstrap and the images' apt sources. */
  mirror: string;
  /** Security archive for the images' apt sources; empty leaves it out. */
  securityMirror: string;
  /** Scratch space for debootstrap: a local filesystem that allows exec and device nodes. */
  workDir: string;
  /** Rebuild catalog images without the layer cache (refreshes their package lists). */
  noCache?: boolean;
  /** Log every build line; otherwise only the Dockerfile steps (a failure still shows its tail). */
  verbose?: boolean;
  /** Environment of the docker CLI, e.g. with DOCKER_HOST. */
  env?: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

/** deb.debian.org serves the security archive beside the main one; other mirrors rarely do. */
export function defaultSecurityMirror(mirror: string): string {
  const url = new URL(mirror);
  return url.hostname === 'deb.debian.org' ? `${url.protocol}//${url.host}/debian-security` : '';
}
