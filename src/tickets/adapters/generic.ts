import { ValidationError } from '../../domain/errors.js';
import type { AdapterDeps, TicketAdapter, TicketStatus } from '../port.js';
import type { TicketSettings } from '../settings.js';
import { deliveryId } from '../deliveryId.js';
import { str } from '../jsonFields.js';
import { isObject } from '../parseJsonObject.js';
import { requestEvents } from '../requestEvents.js';
import { sameAccount } from '../sameAccount.js';
import { parseStampedJson } from '../parseStampedJson.js';
import { ticketRef } from '../ticketRef.js';
import { prefixedHmacAdapter } from '../prefixedHmacAdapter.js';
import { sendApiRequest } from '../sendApiRequest.js';

const ID = /^[A-Za-z0-9][A-Za-z0-9._#-]{0,99}$/;
const LIFECYCLE = { resolved: 'ticket.resolved', closed: 'ticket.closed', reopened: 'ticket.reopened', deleted: 'ticket.deleted' } as const;

/**
 * Our documented format for any system that can POST JSON (docs/tickets/generic.md):
 * `{event: "created|commented|resolved|closed|reopened|deleted", ticket: {id, url?, title?},
 * author, text?, sent_at?}`, signed `X-Repro-Signature: sha256=<hex HMAC-SHA256(body)>`; a
 * `sent_at` (Unix seconds) must be within webhooks.maxSkew of now. Deliveries are told apart by
 * their bytes. Comments go to `commentUrl` when one is configured.
 */
export function createGenericAdapter(settings: TicketSettings<'generic'>, deps: AdapterDeps): TicketAdapter {
  return {
    ...prefixedHmacAdapter('generic', settings, 'x-repro-signature', 'sha256'),

    parse(rawBody) {
      const body = parseStampedJson(rawBody, deps);
      const event = str(body, 'event');
      const t = body['ticket'];
      const id = isObject(t) ? t['id'] : undefined;
      if (typeof id !== 'string' || !ID.test(id)) throw new ValidationError('ticket.id must be a string of letters, digits and . _ # -', 'ticket.id');
      const url = str(t, 'url');
      const ticket = ticketRef('generic', id, url && /^https?:\/\//.test(url) ? url : undefined, str(t, 'title')?.slice(0, 200));
      const author = str(body, 'author') ?? 'generic';
      if (sameAccount(author, settings.serviceAccount)) return [];
      const delivery = deliveryId('generic', undefined, rawBody);
      if (event === 'created' || event === 'commented') {
        const status: TicketStatus = { raw: 'open', state: 'open' };
        return requestEvents({ ticket, deliveryId: delivery, author, status, texts: [str(body, 'text') ?? ''], triggered: false }, deps.catalog);
      }
      if (event !== undefined && event in LIFECYCLE) {
        const type = LIFECYCLE[event as keyof typeof LIFECYCLE];
        const state = event === 'reopened' ? 'open' : event;
        const status = { raw: event, state } as TicketStatus;
        return [{ type, ticket, deliveryId: delivery, author, status, observed: false }];
      }
      throw new ValidationError(`event must be one of created, commented, ${Object.keys(LIFECYCLE).join(', ')}`, 'event');
    },

    async postComment(ticket, text, opts) {
      if (!settings.commentUrl) return false;
      await sendApiRequest({
        system: 'generic', method: 'POST', timeoutMs: settings.timeoutMs ?? 10000,
        url: settings.commentUrl,
        headers: settings.commentToken ? { authorization: `Bearer ${settings.commentToken}` } : {},
        body: { ticket: { id: ticket.id }, text, internal: opts.internal },
      });
    },
  };
}
