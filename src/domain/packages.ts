import { ValidationError } from '../errors.js';
import type { PackageFamily } from '../images/catalog.js';

// Debian policy §5.6.1: lower case letters, digits, + - . ; at least two characters, starts alphanumeric.
const DEBIAN_NAME = /^[a-z0-9][a-z0-9+.-]+$/;
// Debian policy §5.6.12: [epoch:]upstream[-revision]; upstream starts with a digit.
const DEBIAN_VERSION = /^(?:\d+:)?\d[A-Za-z0-9.+~-]*$/;
// RPM names allow upper case and underscores; versions allow the same minus ':' handling.
const RPM_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
const RPM_VERSION = /^(?:\d+:)?[A-Za-z0-9][A-Za-z0-9._+~^-]*$/;
const MAX_LENGTH = 128;

export interface PackageSpec {
  name: string;
  version?: string;
}

/** Validates `name` or `name=version` against the family's rules; the message names the field. */
export function parsePackage(text: string, family: PackageFamily, field = 'packages'): PackageSpec {
  if (text.length === 0) throw new ValidationError(`${field}: a package name cannot be empty`, field);
  if (text.length > MAX_LENGTH) {
    throw new ValidationError(`${field}: "${text.slice(0, 40)}…" is longer than ${MAX_LENGTH} characters`, field);
  }
  const [name = '', version, ...rest] = text.split('=');
  const [nameRule, versionRule] = family === 'debian' ? [DEBIAN_NAME, DEBIAN_VERSION] : [RPM_NAME, RPM_VERSION];
  if (rest.length > 0 || !nameRule.test(name) || (version !== undefined && !versionRule.test(version))) {
    throw new ValidationError(
      `${field}: "${text}" is not a valid ${family} package; use name or name=version (letters, digits, + - . only)`,
      field,
    );
  }
  return version === undefined ? { name } : { name, version };
}

export function validatePackages(list: string[], family: PackageFamily, field = 'packages'): string[] {
  list.forEach((text, i) => parsePackage(text, family, `${field}[${i}]`));
  return [...new Set(list)];
}

/** The argument a package manager takes for one spec: apt pins with `=`, dnf with `-`. */
export function packageArgument(text: string, family: PackageFamily): string {
  const spec = parsePackage(text, family);
  if (spec.version === undefined) return spec.name;
  return family === 'debian' ? `${spec.name}=${spec.version}` : `${spec.name}-${spec.version}`;
}
