import { ValidationError } from '../../domain/errors.js';
import type { AdapterDeps, TicketAdapter, TicketState, TicketStatus } from '../port.js';
import type { TicketSettings } from '../settings.js';
import { deliveryId } from '../deliveryId.js';
import { intId, str } from '../jsonFields.js';
import { isObject } from '../parseJsonObject.js';
import { requestEvents } from '../requestEvents.js';
import { sameAccount } from '../sameAccount.js';
import { parseStampedJson } from '../parseStampedJson.js';
import { ticketRef } from '../ticketRef.js';
import { prefixedHmacAdapter } from '../prefixedHmacAdapter.js';
import { sendApiRequest } from '../sendApiRequest.js';

/**
 * Request Tracker has no webhooks; our Scrip (integrations/rt) posts
 * `{event: "create|correspond|comment|status", sent_at, ticket: {id, Subject, Status, Queue},
 * transaction: {id, Type, Creator, OldValue, NewValue, Content}}` with the field names of RT's
 * own REST 2 ticket and transaction resources, signed `X-Repro-Signature: sha256=<hex>`;
 * `sent_at` (Unix seconds) must be within webhooks.maxSkew of now.
 */
export function createRtAdapter(settings: TicketSettings<'rt'>, deps: AdapterDeps): TicketAdapter {
  const base = (settings.baseUrl ?? '').replace(/\/+$/, '');
  const closed = new Set(settings.closedStatuses ?? ['resolved', 'rejected', 'deleted']);
  const stateOf = (s: string): TicketState => (s === 'deleted' ? 'deleted' : s === 'resolved' ? 'resolved' : closed.has(s) ? 'closed' : 'open');

  return {
    ...prefixedHmacAdapter('rt', settings, 'x-repro-signature', 'sha256'),

    parse(rawBody) {
      const body = parseStampedJson(rawBody, deps);
      const event = str(body, 'event');
      const t = body['ticket'];
      if (!isObject(t) || !event) throw new ValidationError('an RT delivery has "event" and "ticket"', 'ticket');
      const id = intId(body, 'ticket.id');
      const ticket = ticketRef('rt', id, base ? `${base}/Ticket/Display.html?id=${id}` : undefined, str(t, 'Subject'));
      const raw = str(t, 'Status') ?? 'new';
      const status: TicketStatus = { raw, state: stateOf(raw) };
      const author = str(body, 'transaction.Creator') ?? 'rt';
      if (sameAccount(author, settings.serviceAccount)) return [];
      const common = { ticket, deliveryId: deliveryId('rt', str(body, 'transaction.id'), rawBody), author, status };

      if (event === 'status') {
        // RT names the old and new status in the transaction: a real transition, not an observation.
        const before = stateOf(str(body, 'transaction.OldValue') ?? '');
        if (status.state === 'open') return before === 'open' ? [] : [{ ...common, type: 'ticket.reopened', observed: false }];
        const type = status.state === 'deleted' ? 'ticket.deleted' : status.state === 'resolved' ? 'ticket.resolved' : 'ticket.closed';
        return [{ ...common, type, observed: false }];
      }
      if (event === 'create' || event === 'correspond' || event === 'comment') {
        return requestEvents({ ...common, texts: [str(body, 'transaction.Content') ?? ''], triggered: false }, deps.catalog);
      }
      return [];
    },

    async postComment(ticket, text) {
      if (!/^[0-9]+$/.test(ticket.id)) throw new ValidationError(`rt: ticket id "${ticket.id}" is not a number`);
      // A comment (not a correspondence) is RT's internal note: requestors never receive it.
      await sendApiRequest({
        system: 'rt', method: 'POST', timeoutMs: settings.timeoutMs ?? 10000,
        url: `${base}/REST/2.0/ticket/${ticket.id}/comment`,
        headers: { authorization: `token ${settings.token ?? ''}` },
        body: { Content: text, ContentType: 'text/plain' },
      });
    },
  };
}
