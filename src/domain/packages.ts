import { ValidationError } from './errors.js';

/** The package families an image can belong to and the package managers that install into them. */
export const PACKAGE_FAMILIES = ['debian', 'rhel', 'ubuntu'] as const;
export type PackageFamily = (typeof PACKAGE_FAMILIES)[number];

export const PACKAGE_MANAGERS = ['apt', 'dnf', 'yum'] as const;
export type PackageManager = (typeof PACKAGE_MANAGERS)[number];

// Debian policy §5.6.1: lower case letters, digits, + - . ; at least two characters, starts alphanumeric.
const DEBIAN_NAME = /^[a-z0-9][a-z0-9+.-]+$/;
// Debian policy §5.6.12: [epoch:]upstream[-revision]; upstream starts with a digit.
const DEBIAN_VERSION = /^(?:\d+:)?\d[A-Za-z0-9.+~-]*$/;
// RPM names allow upper case and underscores. A dnf/yum spec is NAME[-[EPOCH:]VERSION[-RELEASE]] in
// one word (names hold dashes too, so the package manager splits it); the optional epoch is the only ':'.
const RPM_SPEC = /^[A-Za-z0-9][A-Za-z0-9._+~^-]*(?::[A-Za-z0-9][A-Za-z0-9._+~^-]*)?$/;
const RPM_VERSION = /^(?:\d+:)?[A-Za-z0-9][A-Za-z0-9._+~^-]*$/;
const MAX_LENGTH = 128;

export interface PackageSpec {
  name: string;
  version?: string;
}

/** Debian and Ubuntu share dpkg's rules; the rhel family follows RPM's. */
function isDpkgFamily(family: PackageFamily): boolean {
  return family !== 'rhel';
}

/**
 * Validates one package spec against the family's rules; the message names the field.
 * debian/ubuntu: `name` or `name=version`. rhel: `name`, `name-version[-release]` as dnf/yum take
 * it, or `name=version` (turned into `name-version`).
 */
export function parsePackage(text: string, family: PackageFamily, field = 'packages'): PackageSpec {
  if (text.length === 0) throw new ValidationError(`${field}: a package name cannot be empty`, field);
  if (text.length > MAX_LENGTH) {
    throw new ValidationError(`${field}: "${text.slice(0, 40)}…" is longer than ${MAX_LENGTH} characters`, field);
  }
  const [name = '', version, ...rest] = text.split('=');
  const valid = isDpkgFamily(family)
    ? DEBIAN_NAME.test(name) && (version === undefined || DEBIAN_VERSION.test(version))
    : RPM_SPEC.test(name) && (version === undefined || (!name.includes(':') && RPM_VERSION.test(version)));
  if (rest.length > 0 || !valid) {
    const forms = isDpkgFamily(family) ? 'name or name=version' : 'name or name-version';
    throw new ValidationError(`${field}: "${text}" is not a valid ${family} package; use ${forms} (letters, digits, + - . only)`, field);
  }
  return version === undefined ? { name } : { name, version };
}

export function validatePackages(list: string[], family: PackageFamily, field = 'packages'): string[] {
  list.forEach((text, i) => parsePackage(text, family, `${field}[${i}]`));
  return [...new Set(list)];
}

/** The argument a package manager takes for one spec: apt pins with `=`, dnf and yum with `-`. */
export function packageArgument(text: string, family: PackageFamily): string {
  const spec = parsePackage(text, family);
  if (spec.version === undefined) return spec.name;
  return isDpkgFamily(family) ? `${spec.name}=${spec.version}` : `${spec.name}-${spec.version}`;
}

/**
 * The command that prints `ii name version` for each installed package of the list and fails when
 * one is missing: the family's own database (dpkg or rpm), whatever the package manager.
 */
export function installedQuery(manager: PackageManager, specs: string[]): string[] {
  if (manager === 'apt') {
    const names = specs.map((s) => s.split('=')[0] ?? s);
    // dpkg also knows removed packages (state `rc`): the status tells installed ones apart.
    return ['dpkg-query', '-W', '-f', '${db:Status-Abbrev} ${Package} ${Version}\\n', ...names];
  }
  // rpm -q takes NAME[-VERSION[-RELEASE]] as dnf does, so the spec is asked as written.
  return ['rpm', '-q', '--qf', 'ii %{NAME} %|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\n', ...specs.map((s) => s.replace('=', '-'))];
}

/** `name → version` of the packages installedQuery's output says are installed. */
export function parseInstalled(output: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of output.split('\n')) {
    const [status, name, version] = line.trim().split(/\s+/);
    if (status === 'ii' && name && version) out[name] = version;
  }
  return out;
}
