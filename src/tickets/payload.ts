import { createHash } from 'node:crypto';
import { ValidationError } from '../domain/errors.js';
import type { Catalog } from '../images/catalog.js';
import { findReproLine, parseReproCommand } from './reproCommand.js';
import type { TicketEvent, TicketStatus } from './port.js';
import type { TicketRef } from '../domain/environment.js';

export type Json = Record<string, unknown>;

export function parseJsonObject(rawBody: Buffer): Json {
  let value: unknown;
  try {
    value = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new ValidationError('the body is not valid JSON', 'body');
  }
  if (!isObject(value)) throw new ValidationError('the body must be a JSON object', 'body');
  return value;
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

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

/**
 * The dedupe key of a delivery: a hash of the bytes its signature covers, so a retry (same
 * bytes) is recognised and a replay cannot pass for a new delivery by changing an unsigned
 * header such as a delivery id. `signedId`, when given, must itself come from the signed body
 * (a journal or transaction id): it then names the same change across re-renderings.
 */
export function deliveryId(system: string, signedId: string | undefined, ...signed: Array<Buffer | string>): string {
  if (signedId && /^[A-Za-z0-9._:-]{1,200}$/.test(signedId)) return `${system}:${signedId}`;
  const hash = createHash('sha256');
  for (const part of signed) hash.update(part);
  return `${system}:sha256:${hash.digest('hex')}`;
}

export interface RequestSource {
  ticket: TicketRef;
  deliveryId: string;
  author: string;
  status: TicketStatus;
  /** Texts that are new in this delivery (description of a new ticket, a new comment). */
  texts: string[];
  /** A configured trigger (tag, label, category, custom field) matched in this delivery. */
  triggered: boolean;
  /** Words after `/repro` the trigger stands for, from a custom field or `defaultRequest`. */
  triggerArgs?: string;
}

/**
 * The request a delivery carries, if any: a `/repro` line wins over a trigger. A request on a
 * resolved or closed ticket is ignored; a malformed one becomes `repro.rejected` so the
 * author learns what is wrong.
 */
export function requestEvents(source: RequestSource, catalog: Catalog): TicketEvent[] {
  if (source.status.state !== 'open') return [];
  const line = source.texts.map(findReproLine).find((l) => l !== undefined);
  const args = line ?? (source.triggered ? source.triggerArgs : undefined);
  const base = { ticket: source.ticket, deliveryId: source.deliveryId, author: source.author, status: source.status };
  if (args === undefined) {
    if (!source.triggered) return [];
    return [{ ...base, type: 'repro.rejected', reason: 'this ticket asks for an environment but names no image: add a /repro line' }];
  }
  try {
    return [{ ...base, type: 'repro.requested', request: parseReproCommand(args, catalog) }];
  } catch (err) {
    if (err instanceof ValidationError) return [{ ...base, type: 'repro.rejected', reason: err.message }];
    throw err;
  }
}

/** The lifecycle event matching a status, for systems that only send the current status. */
export function observedLifecycle(
  base: { ticket: TicketRef; deliveryId: string; author: string; status: TicketStatus },
): TicketEvent {
  const type =
    base.status.state === 'resolved' ? 'ticket.resolved'
    : base.status.state === 'closed' ? 'ticket.closed'
    : base.status.state === 'deleted' ? 'ticket.deleted'
    : 'ticket.reopened';
  return { ...base, type, observed: true };
}

export function sameAccount(author: string, serviceAccount: string | undefined, ...aliases: Array<string | undefined>): boolean {
  if (!serviceAccount) return false;
  const want = serviceAccount.toLowerCase();
  return [author, ...aliases].some((a) => a !== undefined && a.toLowerCase() === want);
}
