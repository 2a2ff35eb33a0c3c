import { ValidationError } from '../../domain/errors.js';
import type { AdapterDeps, TicketAdapter, TicketEvent, TicketStatus } from '../port.js';
import type { TicketSettings } from '../settings.js';
import { requireFresh } from '../signature.js';
import { deliveryId } from '../deliveryId.js';
import { at, intId, isoTime, str } from '../jsonFields.js';
import { isObject, parseJsonObject } from '../parseJsonObject.js';
import { requestEvents } from '../requestEvents.js';
import { sameAccount } from '../sameAccount.js';
import { prefixedHmacAdapter } from '../prefixedHmacAdapter.js';
import { sendApiRequest } from '../sendApiRequest.js';
import { ticketRef } from '../ticketRef.js';

/**
 * Redmine ≥ 7.0 native webhooks (app/models/webhook.rb, webhook_payload.rb): body
 * `{type: "issue.created|updated|deleted", timestamp, data: {issue: <issues/show.api.rsb>,
 * journal?: {id, notes, user: {id, name}, details: [{property, prop_key, old_value, value}]}}}`,
 * signed `X-Redmine-Signature-256: sha256=<hex>`. Teardown when the status `is_closed`. The
 * signed body's `timestamp` must be within webhooks.maxSkew of now.
 */
export function createRedmineAdapter(settings: TicketSettings<'redmine'>, deps: AdapterDeps): TicketAdapter {
  const base = (settings.baseUrl ?? '').replace(/\/+$/, '');
  const fieldId = settings.trigger?.customFieldId;

  function customFieldValue(issue: unknown): string | undefined {
    const fields = at(issue, 'custom_fields');
    if (fieldId === undefined || !Array.isArray(fields)) return undefined;
    const field = fields.find((f) => isObject(f) && f['id'] === fieldId);
    const value = str(field, 'value')?.trim();
    return value ? value.replace(/^\/repro\b/, '').trim() : undefined;
  }

  return {
    ...prefixedHmacAdapter('redmine', settings, 'x-redmine-signature-256', 'sha256'),

    parse(rawBody) {
      const body = parseJsonObject(rawBody);
      if (body['timestamp'] !== undefined) requireFresh(isoTime(body['timestamp'], 'timestamp'), deps, 'timestamp');
      const type = str(body, 'type');
      const issue = at(body, 'data.issue');
      if (!type?.startsWith('issue.') || !isObject(issue)) return [];
      const id = intId(body, 'data.issue.id');
      const ticket = ticketRef('redmine', id, base ? `${base}/issues/${id}` : undefined, str(issue, 'subject'));
      const status: TicketStatus = {
        raw: str(issue, 'status.name') ?? str(issue, 'status.id') ?? 'unknown',
        state: at(issue, 'status.is_closed') === true ? 'closed' : 'open',
      };
      const journal = at(body, 'data.journal');
      const journalId = at(journal, 'id');
      const delivery = deliveryId('redmine', typeof journalId === 'number' ? `${type}:${id}:${journalId}` : undefined, rawBody);

      if (type === 'issue.deleted') {
        return [{ type: 'ticket.deleted', ticket, deliveryId: delivery, author: 'redmine', status: { ...status, state: 'deleted' }, observed: false }];
      }
      if (type === 'issue.created') {
        const author = str(issue, 'author.name') ?? 'redmine';
        if (sameAccount(author, settings.serviceAccount, str(issue, 'author.id'))) return [];
        const args = customFieldValue(issue) ?? settings.defaultRequest;
        return requestEvents(
          {
            ticket, deliveryId: delivery, author, status,
            texts: [str(issue, 'description') ?? ''],
            triggered: customFieldValue(issue) !== undefined,
            ...(args ? { triggerArgs: args } : {}),
          },
          deps.catalog,
        );
      }
      if (type !== 'issue.updated' || !isObject(journal)) return [];
      const author = str(journal, 'user.name') ?? 'redmine';
      if (sameAccount(author, settings.serviceAccount, str(journal, 'user.id'))) return [];
      const details = Array.isArray(journal['details']) ? journal['details'].filter(isObject) : [];
      const events: TicketEvent[] = [];
      const fieldChange = details.find((d) => d['property'] === 'cf' && String(d['prop_key']) === String(fieldId) && str(d, 'value'));
      const fieldArgs = fieldChange ? customFieldValue(issue) : undefined;
      events.push(
        ...requestEvents(
          {
            ticket, deliveryId: delivery, author, status,
            texts: [str(journal, 'notes') ?? ''],
            triggered: fieldArgs !== undefined,
            ...(fieldArgs ? { triggerArgs: fieldArgs } : {}),
          },
          deps.catalog,
        ),
      );
      // The journal says the status changed; whether the old one was closed is only known by
      // the handler's memory, so a change to an open status is an observed reopen.
      if (details.some((d) => d['property'] === 'attr' && d['prop_key'] === 'status_id')) {
        const base = { ticket, deliveryId: delivery, author, status };
        events.push(status.state === 'closed' ? { ...base, type: 'ticket.closed', observed: false } : { ...base, type: 'ticket.reopened', observed: true });
      }
      return events;
    },

    async postComment(ticket, text, opts) {
      if (!/^[0-9]+$/.test(ticket.id)) throw new ValidationError(`redmine: issue id "${ticket.id}" is not a number`);
      await sendApiRequest({
        system: 'redmine', method: 'PUT', timeoutMs: settings.timeoutMs ?? 10000,
        url: `${base}/issues/${ticket.id}.json`,
        headers: { 'x-redmine-api-key': settings.apiKey ?? '' },
        body: { issue: { notes: text, private_notes: opts.internal } },
      });
    },
  };
}
