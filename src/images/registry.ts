import type Docker from 'dockerode';
import { followBuildStream } from './followBuildStream.js';

/** A registry bases are pulled from and builds are shared through (config `images.registry`). */
export interface RegistrySettings {
  /** `host[:port]`, e.g. `registry.example.org` or `127.0.0.1:5000`. */
  url: string;
  username?: string;
  /** Never logged: it only travels in the engine's X-Registry-Auth header. */
  password?: string;
}

/**
 * The name of an image on the configured registry: the same repository path without its own
 * registry host, Docker Hub's official images under `library/` (as registry mirrors serve them).
 * `debian:12` → `host/library/debian:12`; `quay.io/centos/centos:stream9` → `host/centos/centos:stream9`.
 */
export function registryRef(ref: string, registry: string): string {
  const parts = ref.split('/');
  const first = parts[0] ?? '';
  const hasHost = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const path = hasHost ? parts.slice(1) : parts;
  return `${registry}/${path.length === 1 ? `library/${path[0]}` : path.join('/')}`;
}

export function splitRef(ref: string): { repo: string; tag: string } {
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) } : { repo: ref, tag: 'latest' };
}

function authconfig(r: RegistrySettings): Record<string, string> | undefined {
  return r.username ? { username: r.username, password: r.password ?? '', serveraddress: r.url } : undefined;
}

/** Pulls `ref` through the engine; rejects with the engine's message (unknown manifest, refused login…). */
export async function pullImage(docker: Docker, ref: string, registry: RegistrySettings, log: (line: string) => void): Promise<void> {
  // Credentials as dockerode's separate auth argument: inside the options they would also land in the query string.
  const pull = docker.pull.bind(docker) as (ref: string, opts: object, callback: undefined, auth?: object) => Promise<NodeJS.ReadableStream>;
  const stream = await pull(ref, {}, undefined, authconfig(registry));
  await followBuildStream(docker, stream, log);
}

/** Pushes local `ref` as `target` on the registry; the extra local tag is dropped afterwards. */
export async function pushImage(docker: Docker, ref: string, target: string, registry: RegistrySettings, log: (line: string) => void): Promise<void> {
  const { repo, tag } = splitRef(target);
  await docker.getImage(ref).tag({ repo, tag });
  try {
    const auth = authconfig(registry);
    const stream = await docker.getImage(target).push({ tag, ...(auth ? { authconfig: auth } : {}) });
    await followBuildStream(docker, stream, log);
  } finally {
    await docker.getImage(target).remove({ noprune: true }).catch(() => undefined);
  }
}
