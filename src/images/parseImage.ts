import { isAbsolute, normalize } from 'node:path';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { ValidationError } from '../domain/errors.js';
import { validatePackages } from '../domain/packages.js';
import { packageManagerOf, type CatalogImage } from './catalog.js';
import { ImageSchema, type ImageDocument } from './imageSchema.js';
import { dottedPath } from '../text/dottedPath.js';

/**
 * Parses and validates one image.yaml. `folder` is the image's folder name, which must equal
 * `name`; `dir` is recorded on the image. Throws ValidationError whose `field` names the setting.
 */
export function parseImage(text: string, folder: string, dir: string): CatalogImage {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ValidationError(`not valid YAML: ${(err as Error).message}`);
  }
  return validateImageDocument(doc, folder, dir);
}

/** The checks of parseImage on an already parsed document (an admin's PUT body, a definition kept in Redis). */
export function validateImageDocument(doc: unknown, folder: string, dir: string): CatalogImage {
  checkNesting(doc);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ValidationError('must hold a mapping');
  const withDefaults = Value.Default(ImageSchema, structuredClone(doc));
  const first = Value.Errors(ImageSchema, withDefaults).First();
  if (first) {
    const field = dottedPath(first.path) || '(root)';
    throw new ValidationError(`${field}: ${describe(first)}`, field);
  }
  const image = withDefaults as ImageDocument;
  if (image.name !== folder) {
    throw new ValidationError(`name: "${image.name}" must equal its folder name "${folder}"`, 'name');
  }
  if (image.container === undefined && image.vm === undefined) {
    throw new ValidationError('container: an image needs container or vm settings (or both)', 'container');
  }
  const dockerfile = image.container?.dockerfile;
  if (dockerfile !== undefined && (isAbsolute(dockerfile) || normalize(dockerfile).startsWith('..'))) {
    throw new ValidationError(`container.dockerfile: "${dockerfile}" must stay inside the image folder`, 'container.dockerfile');
  }
  const manager = packageManagerOf(image);
  if ((image.family === 'rhel') !== (manager !== 'apt')) {
    throw new ValidationError(`packageManager: ${manager} does not fit the ${image.family} family (apt for debian/ubuntu, dnf or yum for rhel)`, 'packageManager');
  }
  if (image.packages) validatePackages(image.packages, image.family);
  const reserved = Object.keys(image.vm?.cloudInit ?? {}).find((key) => RESERVED_CLOUD_INIT.has(key));
  if (reserved) {
    throw new ValidationError(`vm.cloudInit.${reserved}: repro writes this key itself (user, access, packages, readiness marker)`, `vm.cloudInit.${reserved}`);
  }
  const { version, ...rest } = image;
  return { ...rest, version: String(version), dir };
}

const MAX_DEPTH = 12;

/**
 * A definition is a handful of levels deep; anything deeper (an admin's body, a file) is refused
 * before the recursive steps after it (defaults, clone, diff) could exhaust the stack. Iterative,
 * one visit per value.
 */
function checkNesting(doc: unknown): void {
  const stack: Array<[unknown, number, string]> = [[doc, 0, '']];
  while (stack.length > 0) {
    const [value, depth, path] = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_DEPTH) throw new ValidationError(`${path}: nests deeper than ${MAX_DEPTH} levels`, path);
    for (const [key, child] of Object.entries(value)) stack.push([child, depth + 1, path ? `${path}.${key}` : key]);
  }
}

/** Seed keys that carry the environment's user, SSH key, packages and readiness marker. */
const RESERVED_CLOUD_INIT = new Set(['hostname', 'users', 'ssh_pwauth', 'disable_root', 'packages', 'package_update', 'runcmd', 'preserve_hostname']);

/** TypeBox messages name the check ("Expected union value"); admins need the rule instead. */
function describe(error: ValueError): string {
  if (error.type === ValueErrorType.ObjectRequiredProperty) return 'is required';
  if (error.type === ValueErrorType.ObjectAdditionalProperties) return 'is not a known setting';
  const schema = error.schema as { anyOf?: Array<{ const?: unknown }>; description?: string };
  const allowed = schema.anyOf?.every((s) => s.const !== undefined) ? schema.anyOf.map((s) => s.const) : undefined;
  const rule = allowed ? `must be one of ${allowed.join(', ')}` : schema.description ? `must be ${schema.description}` : error.message;
  return `${rule}, got ${JSON.stringify(error.value)}`;
}
