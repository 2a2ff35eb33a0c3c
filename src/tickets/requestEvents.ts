import type { TicketRef } from '../domain/environment.js';
import { ValidationError } from '../domain/errors.js';
import type { Catalog } from '../images/catalog.js';
import type { TicketEvent, TicketStatus } from './port.js';
import { findReproLine, parseReproCommand } from './reproCommand.js';

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
