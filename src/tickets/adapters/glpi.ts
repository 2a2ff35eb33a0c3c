import { UnauthorizedError, ValidationError } from '../../domain/errors.js';
import type { AdapterDeps, TicketAdapter, TicketEvent, TicketStatus } from '../port.js';
import type { TicketSettings } from '../settings.js';
import { header, hmacHex, requireFresh, safeEqual } from '../signature.js';
import { deliveryId } from '../deliveryId.js';
import { at, intId, str } from '../jsonFields.js';
import { observedLifecycle } from '../observedLifecycle.js';
import { isObject, parseJsonObject } from '../parseJsonObject.js';
import { requestEvents } from '../requestEvents.js';
import { sendApiRequest } from '../sendApiRequest.js';
import { ticketRef } from '../ticketRef.js';
import { htmlToText } from '../htmlToText.js';
import { textToHtml } from '../textToHtml.js';

/** What GLPI's `time()` gives: Unix seconds. */
const TIMESTAMP = /^[0-9]{1,12}$/;
/**
 * Webhook::getSignature output: hex HMAC-SHA256, 64 lowercase characters. GLPI's only challenge
 * (QueuedWebhook::sendById → Webhook::validateCRAChallenge) sends getSignature('validate_cra_challenge').
 */
const CRC_TOKEN = /^[0-9a-f]{64}$/;

/**
 * GLPI 11 native webhooks (src/Webhook.php): body `{"event": "new|update|delete", "item": <HL API
 * v2 schema>}` pretty-printed, plus `parent_item` for followups; `X-GLPI-signature` is
 * hex HMAC-SHA256(secret, body . X-GLPI-timestamp). The timestamp is taken when the event is
 * raised and kept by GLPI's queue and its retries: it must be within webhooks.maxSkew of now.
 */
export function createGlpiAdapter(settings: TicketSettings<'glpi'>, deps: AdapterDeps): TicketAdapter {
  const resolved = new Set(settings.statuses?.resolved ?? [5]);
  const closed = new Set(settings.statuses?.closed ?? [6]);
  const base = (settings.baseUrl ?? '').replace(/\/+$/, '');
  const timeoutMs = settings.timeoutMs ?? 10000;

  function statusOf(item: unknown): TicketStatus {
    const id = at(item, 'status.id');
    if (typeof id !== 'number') return { raw: 'unknown', state: 'open' };
    const state = resolved.has(id) ? 'resolved' : closed.has(id) ? 'closed' : 'open';
    return { raw: String(id), state };
  }

  function categoryMatches(item: unknown): boolean {
    const trigger = settings.trigger;
    if (!trigger) return false;
    const id = at(item, 'category.id');
    const name = str(item, 'category.name') ?? str(item, 'category.completename');
    return (typeof id === 'number' && (trigger.categoryIds ?? []).includes(id)) || (name !== undefined && (trigger.categoryNames ?? []).includes(name));
  }

  const glpiTicket = (id: string, title: string | undefined) => ticketRef('glpi', id, base ? `${base}/front/ticket.form.php?id=${id}` : undefined, title);

  return {
    system: 'glpi',
    locale: settings.locale ?? 'fr',

    verify(req) {
      if (!settings.webhookSecret) throw new UnauthorizedError('no webhook secret is configured for glpi');
      const signature = header(req.headers, 'x-glpi-signature');
      const timestamp = header(req.headers, 'x-glpi-timestamp');
      if (!signature || !timestamp) throw new UnauthorizedError('missing X-GLPI-signature or X-GLPI-timestamp header');
      if (!TIMESTAMP.test(timestamp)) throw new UnauthorizedError('X-GLPI-timestamp must be a Unix time in seconds');
      const expected = hmacHex('sha256', settings.webhookSecret, req.rawBody, timestamp);
      if (!safeEqual(signature.trim().toLowerCase(), expected)) throw new UnauthorizedError('bad X-GLPI-signature');
      requireFresh(Number(timestamp) * 1000, deps, 'X-GLPI-timestamp');
    },

    // Webhook::validateCRAChallenge sends `GET ?crc_token=T` and expects hex HMAC-SHA256(secret, T)
    // as the body: the very function that signs deliveries (over body . timestamp). Only a token
    // shaped like GLPI's is signed: 64 hex digits can never be a JSON body followed by a
    // timestamp, so the answer can never serve as a delivery's signature.
    challenge(query) {
      const token: unknown = query['crc_token'];
      if (token === undefined || !settings.webhookSecret) return undefined;
      if (typeof token !== 'string' || !CRC_TOKEN.test(token)) {
        throw new ValidationError('crc_token must be 64 lowercase hexadecimal characters, as GLPI sends', 'crc_token');
      }
      return hmacHex('sha256', settings.webhookSecret, token);
    },

    parse(rawBody, headers) {
      const body = parseJsonObject(rawBody);
      const event = str(body, 'event');
      const item = body['item'];
      if (!isObject(item) || !event) throw new ValidationError('a GLPI delivery has "event" and "item"', 'item');
      const id = deliveryId('glpi', undefined, rawBody, header(headers, 'x-glpi-timestamp') ?? '');

      // A followup (ITILFollowup webhook): the ticket is items_id, its state is in parent_item.
      if (item['itemtype'] !== undefined) {
        if (item['itemtype'] !== 'Ticket' || event !== 'new') return [];
        const parent = body['parent_item'];
        const ticket = glpiTicket(intId(body, 'item.items_id'), str(parent, 'name'));
        const content = str(item, 'content') ?? '';
        return requestEvents(
          { ticket, deliveryId: id, author: 'glpi', status: statusOf(parent), texts: [htmlToText(content)], triggered: false },
          deps.catalog,
        );
      }

      const ticket = glpiTicket(intId(body, 'item.id'), str(item, 'name'));
      const status = statusOf(item);
      const author = requesterOf(item);
      if (event === 'delete') return [{ type: 'ticket.deleted', ticket, deliveryId: id, author, status: { ...status, state: 'deleted' }, observed: false }];
      const events: TicketEvent[] = [];
      if (event === 'new') {
        events.push(
          ...requestEvents(
            {
              ticket, deliveryId: id, author, status,
              texts: [htmlToText(str(item, 'content') ?? '')],
              triggered: categoryMatches(item),
              ...(settings.defaultRequest ? { triggerArgs: settings.defaultRequest } : {}),
            },
            deps.catalog,
          ),
        );
      }
      // GLPI sends only the current status: the handler compares it with the last one it saw.
      if (event === 'update') events.push(observedLifecycle({ ticket, deliveryId: id, author, status }));
      return events;
    },

    async postComment(ticket, text, opts) {
      const content = textToHtml(text);
      if (settings.api === 'v2') {
        await sendApiRequest({
          system: 'glpi', method: 'POST', timeoutMs,
          url: `${base}/api.php/v2/Assistance/Ticket/${encodeURIComponent(ticket.id)}/Timeline/Followup`,
          headers: { authorization: `Bearer ${settings.apiToken ?? ''}` },
          body: { content, is_private: opts.internal },
        });
        return;
      }
      // API v1: a session per comment keeps the worker stateless; comments are rare.
      const appToken = { 'app-token': settings.appToken ?? '' };
      const session = await sendApiRequest({
        system: 'glpi', method: 'GET', timeoutMs, url: `${base}/apirest.php/initSession`,
        headers: { ...appToken, authorization: `user_token ${settings.userToken ?? ''}` },
      });
      const token = str(await session.json(), 'session_token');
      if (!token) throw new ValidationError('glpi: initSession returned no session_token');
      try {
        await sendApiRequest({
          system: 'glpi', method: 'POST', timeoutMs, url: `${base}/apirest.php/ITILFollowup/`,
          headers: { ...appToken, 'session-token': token },
          body: { input: { itemtype: 'Ticket', items_id: Number(ticket.id), content, is_private: opts.internal ? 1 : 0 } },
        });
      } finally {
        await sendApiRequest({
          system: 'glpi', method: 'GET', timeoutMs, url: `${base}/apirest.php/killSession`,
          headers: { ...appToken, 'session-token': token },
        }).catch(() => undefined);
      }
    },
  };
}

/** The HL API ticket has no "last updater"; the requester in `team` is the best author we have. */
function requesterOf(item: unknown): string {
  const team = at(item, 'team');
  if (Array.isArray(team)) {
    const requester = team.find((m) => isObject(m) && m['role'] === 'requester' && m['type'] === 'User');
    const name = str(requester, 'name');
    if (name) return name;
  }
  return 'glpi';
}
