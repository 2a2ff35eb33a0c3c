import { ValidationError } from '../domain/errors.js';
import { isObject } from './parseJsonObject.js';

/* Readers of fields in an untrusted webhook body: each returns the typed value or says which field is wrong. */

/** Reads `a.b.c`; undefined when any step is missing. */
export function at(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split('.')) {
    if (!isObject(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

export function str(obj: unknown, path: string): string | undefined {
  const v = at(obj, path);
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

/** A numeric ticket id: a positive JSON integer, nothing else (a string or float id is a malformed delivery). */
export function intId(obj: unknown, path: string): string {
  const v = at(obj, path);
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) {
    throw new ValidationError(`${path} must be a positive integer`, path);
  }
  return String(v);
}

/** An ISO 8601 time the body carries, in ms since the epoch; ValidationError naming the field otherwise. */
export function isoTime(value: unknown, field: string): number {
  // Bounded before parsing: Date.parse is handed attacker text.
  const ms = typeof value === 'string' && value.length <= 40 ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) throw new ValidationError(`${field} must be an ISO 8601 time`, field);
  return ms;
}

/** A Unix time in seconds the body carries, in ms since the epoch; ValidationError naming the field otherwise. */
export function unixTime(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new ValidationError(`${field} must be a Unix time in seconds`, field);
  return value * 1000;
}
