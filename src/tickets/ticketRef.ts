import type { TicketRef } from '../domain/environment.js';
import type { TicketSystem } from './settings.js';

/** The ticket a delivery names; the link and title only when the delivery gives them (never empty). */
export function ticketRef(system: TicketSystem, id: string, url: string | undefined, title: string | undefined): TicketRef {
  const ticket: TicketRef = { system, id };
  if (url) ticket.url = url;
  if (title) ticket.title = title;
  return ticket;
}
