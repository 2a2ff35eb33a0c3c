import { ValidationError } from '../../domain/errors.js';
import type { AdapterDeps, TicketAdapter, TicketEvent, TicketStatus } from '../port.js';
import type { TicketSettings } from '../settings.js';
import { header } from '../signature.js';
import { deliveryId } from '../deliveryId.js';
import { intId, str } from '../jsonFields.js';
import { observedLifecycle } from '../observedLifecycle.js';
import { isObject, parseJsonObject } from '../parseJsonObject.js';
import { requestEvents } from '../requestEvents.js';
import { sameAccount } from '../sameAccount.js';
import { prefixedHmacAdapter } from '../prefixedHmacAdapter.js';
import { sendApiRequest } from '../sendApiRequest.js';
import { ticketRef } from '../ticketRef.js';
import { htmlToText } from '../htmlToText.js';

/**
 * Zammad webhooks fired by a Trigger (app/jobs/trigger_webhook_job.rb): body `{ticket, article}`,
 * records with their associations expanded (`created_by`, `updated_by` as user objects);
 * `X-Hub-Signature: sha1=<hex HMAC-SHA1(body)>`; `X-Zammad-Delivery` is the job id, kept by
 * retries. Only the current `ticket.state` is sent: transitions come from last-status memory.
 */
export function createZammadAdapter(settings: TicketSettings<'zammad'>, deps: AdapterDeps): TicketAdapter {
  const base = (settings.baseUrl ?? '').replace(/\/+$/, '');
  const closedStates = new Set(settings.closedStates ?? ['closed', 'merged', 'removed']);
  const triggerNames = settings.trigger?.triggerNames ?? [];

  return {
    ...prefixedHmacAdapter('zammad', settings, 'x-hub-signature', 'sha1'),

    parse(rawBody, headers) {
      const body = parseJsonObject(rawBody);
      const t = body['ticket'];
      if (!isObject(t)) throw new ValidationError('a Zammad delivery has a "ticket" object', 'ticket');
      const id = intId(body, 'ticket.id');
      const ticket = ticketRef('zammad', id, base ? `${base}/#ticket/zoom/${id}` : undefined, str(t, 'title'));
      const state = str(t, 'state') ?? 'unknown';
      const status: TicketStatus = { raw: state, state: closedStates.has(state) ? (state === 'removed' ? 'deleted' : 'closed') : 'open' };
      const article = body['article'];
      const actor = isObject(article) ? article['created_by'] : t['updated_by'];
      const author = str(actor, 'login') ?? str(actor, 'email') ?? 'zammad';
      if (sameAccount(author, settings.serviceAccount, str(actor, 'email'))) return [];
      const delivery = deliveryId('zammad', undefined, rawBody);

      const bodyText = str(article, 'body') ?? '';
      const text = str(article, 'content_type') === 'text/html' ? htmlToText(bodyText) : bodyText;
      // Tags are not in the payload (nor allowed in a custom one): a Trigger whose condition is the
      // tag says it by its name, which Zammad sends as X-Zammad-Trigger.
      const fromTrigger = triggerNames.includes(header(headers, 'x-zammad-trigger') ?? '');
      const events: TicketEvent[] = requestEvents(
        {
          ticket, deliveryId: delivery, author, status,
          texts: [text],
          triggered: fromTrigger,
          ...(settings.defaultRequest ? { triggerArgs: settings.defaultRequest } : {}),
        },
        deps.catalog,
      );
      events.push(observedLifecycle({ ticket, deliveryId: delivery, author, status }));
      return events;
    },

    async postComment(ticket, text, opts) {
      if (!/^[0-9]+$/.test(ticket.id)) throw new ValidationError(`zammad: ticket id "${ticket.id}" is not a number`);
      await sendApiRequest({
        system: 'zammad', method: 'POST', timeoutMs: settings.timeoutMs ?? 10000,
        url: `${base}/api/v1/ticket_articles`,
        headers: { authorization: `Token token=${settings.token ?? ''}` },
        body: { ticket_id: Number(ticket.id), body: text, content_type: 'text/plain', type: 'note', internal: opts.internal },
      });
    },
  };
}
