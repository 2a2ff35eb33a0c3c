import { ValidationError } from '../domain/errors.js';
import { parseDuration } from '../domain/parseDuration.js';
import { validatePackages } from '../domain/packages.js';
import type { EnvironmentKind } from '../domain/environment.js';
import type { Catalog } from '../images/catalog.js';
import type { ReproRequest } from './port.js';

const FIELD = 'repro';
const MAX_LINE = 500;
const MAX_TOKENS = 40;
// Anything a shell would interpret. Package versions may hold `~`, `+`, `:` and `=`, so those stay allowed.
const SHELL_META = /[;&|$`<>(){}[\]*?!\\'"#\n\r\t]/;
const LINE = /^[ \t]*\/repro(?:[ \t]+(.*))?$/m;

/** The first line starting with `/repro` in a ticket body or comment, without the `/repro` word; undefined if none. */
export function findReproLine(text: string): string | undefined {
  const match = LINE.exec(text);
  return match ? (match[1] ?? '').trim() : undefined;
}

/**
 * Parses `debian-12 +nginx +php8.2 [--vm|--container] [--ttl 2d] [--new]` (the words after `/repro`).
 * Strict: an unknown flag, a shell metacharacter, a bad package or an unknown image is a
 * ValidationError whose message is written for the person who typed the line.
 */
export function parseReproCommand(args: string, catalog: Catalog): ReproRequest {
  const text = args.trim();
  if (text.length > MAX_LINE) throw new ValidationError(`the /repro line is longer than ${MAX_LINE} characters`, FIELD);
  const meta = SHELL_META.exec(text);
  if (meta) {
    throw new ValidationError(`the /repro line contains "${meta[0]}", which is not allowed: write only an image, +packages and flags`, FIELD);
  }
  const tokens = text.split(/ +/).filter((t) => t.length > 0);
  if (tokens.length > MAX_TOKENS) throw new ValidationError(`the /repro line has more than ${MAX_TOKENS} words`, FIELD);

  let image: string | undefined;
  let kind: EnvironmentKind | undefined;
  let ttl: string | undefined;
  let additional = false;
  const packages: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === '--vm' || token === '--container') {
      const wanted = token === '--vm' ? 'vm' : 'container';
      if (kind !== undefined && kind !== wanted) throw new ValidationError('use either --vm or --container, not both', FIELD);
      kind = wanted;
    } else if (token === '--ttl' || token.startsWith('--ttl=')) {
      const value = token === '--ttl' ? tokens[++i] : token.slice('--ttl='.length);
      if (!value || value.startsWith('-')) throw new ValidationError('--ttl needs a duration such as 30m, 8h or 2d', FIELD);
      parseDuration(value, 'ttl');
      ttl = value;
    } else if (token === '--new') {
      additional = true;
    } else if (token.startsWith('-')) {
      throw new ValidationError(`unknown option "${token}": the options are --vm, --container, --ttl <duration> and --new`, FIELD);
    } else if (token.startsWith('+')) {
      packages.push(token.slice(1));
    } else if (image === undefined) {
      image = token;
    } else {
      throw new ValidationError(`"${token}" is not understood: name one image, then packages as +name`, FIELD);
    }
  }

  const names = catalog.list().map((entry) => entry.name).sort();
  if (image === undefined) throw new ValidationError(`name an image; available images: ${names.join(', ')}`, FIELD);
  const entry = catalog.get(image);
  if (!entry) throw new ValidationError(`unknown image "${image}"; available images: ${names.join(', ')}`, FIELD);
  const resolvedKind: EnvironmentKind = kind ?? (entry.container ? 'container' : 'vm');
  if (resolvedKind === 'vm' && !entry.vm) throw new ValidationError(`image "${image}" has no VM variant; drop --vm`, FIELD);
  if (resolvedKind === 'container' && !entry.container) {
    throw new ValidationError(`image "${image}" exists only as a VM; add --vm`, FIELD);
  }
  const request: ReproRequest = { image, kind: resolvedKind, packages: validatePackages(packages, entry.family, 'packages') };
  if (ttl !== undefined) request.ttl = ttl;
  if (additional) request.additional = true;
  return request;
}
