import type { TicketRef } from '../domain/environment.js';
import type { TicketEvent, TicketStatus } from './port.js';

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
