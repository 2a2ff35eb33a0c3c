import type { PackageManager } from '../domain/packages.js';

/**
 * A `sh -c` script that points the package manager's own configuration at the host's package
 * cache, so later installs by hand go through it too: `Acquire::http::Proxy` for apt, `proxy=` in
 * `[main]` of dnf.conf/yum.conf (rewritten, so running it again changes nothing). The URL is the
 * script's `$1`, never spliced into it.
 */
export function packageProxyScript(manager: PackageManager): string {
  return manager === 'apt'
    ? 'printf \'Acquire::http::Proxy "%s";\\n\' "$1" > /etc/apt/apt.conf.d/01repro-proxy'
    : 'for f in /etc/dnf/dnf.conf /etc/yum.conf; do [ -f "$f" ] && sed -i --follow-symlinks -e "/^proxy=/d" -e "/^\\[main\\]/a proxy=$1" "$f"; done; true';
}
