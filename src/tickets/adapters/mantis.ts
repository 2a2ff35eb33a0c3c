import { ValidationError } from '../../domain/errors.js';
import type { AdapterDeps, TicketAdapter, TicketStatus } from '../port.js';
import type { TicketSettings } from '../settings.js';
import { deliveryId } from '../deliveryId.js';
import { at, intId, str } from '../jsonFields.js';
import { observedLifecycle } from '../observedLifecycle.js';
import { isObject } from '../parseJsonObject.js';
import { requestEvents } from '../requestEvents.js';
import { sameAccount } from '../sameAccount.js';
import { parseStampedJson } from '../parseStampedJson.js';
import { ticketRef } from '../ticketRef.js';
import { prefixedHmacAdapter } from '../prefixedHmacAdapter.js';
import { sendApiRequest } from '../sendApiRequest.js';

/**
 * MantisBT has no webhooks; our plugin (integrations/mantisbt) posts
 * `{event: "report|update|bulk|note|delete", sent_at, user: {id, name}, issue: <REST issue object>, note?}`
 * where the issue is what `GET /api/rest/issues/{id}` returns (`id`, `summary`, `description`,
 * `status: {id, name}`, `tags: [{id, name}]`), signed `X-Mantis-Signature: sha256=<hex>`; `sent_at`
 * (Unix seconds, sent synchronously, never retried) must be within webhooks.maxSkew of now.
 */
export function createMantisAdapter(settings: TicketSettings<'mantis'>, deps: AdapterDeps): TicketAdapter {
  const base = (settings.baseUrl ?? '').replace(/\/+$/, '');
  const resolvedAt = settings.resolvedThreshold ?? 80;
  const closedAt = settings.closedStatus ?? 90;
  const tags = settings.trigger?.tags ?? [];

  return {
    ...prefixedHmacAdapter('mantis', settings, 'x-mantis-signature', 'sha256'),

    parse(rawBody) {
      const body = parseStampedJson(rawBody, deps);
      const event = str(body, 'event');
      const issue = body['issue'];
      if (!isObject(issue) || !event) throw new ValidationError('a MantisBT delivery has "event" and "issue"', 'issue');
      const id = intId(body, 'issue.id');
      const ticket = ticketRef('mantis', id, base ? `${base}/view.php?id=${id}` : undefined, str(issue, 'summary'));
      const statusId = at(issue, 'status.id');
      const n = typeof statusId === 'number' ? statusId : 10;
      const status: TicketStatus = { raw: str(issue, 'status.name') ?? String(n), state: n >= closedAt ? 'closed' : n >= resolvedAt ? 'resolved' : 'open' };
      const author = str(body, 'user.name') ?? 'mantis';
      if (sameAccount(author, settings.serviceAccount, str(body, 'user.id'))) return [];
      const common = { ticket, deliveryId: deliveryId('mantis', undefined, rawBody), author, status };

      if (event === 'delete') return [{ ...common, status: { ...status, state: 'deleted' }, type: 'ticket.deleted', observed: false }];
      if (event === 'note') return requestEvents({ ...common, texts: [str(body, 'note.text') ?? ''], triggered: false }, deps.catalog);
      if (event === 'report') {
        const issueTags = Array.isArray(issue['tags']) ? issue['tags'].map((t) => str(t, 'name')) : [];
        return requestEvents(
          {
            ...common,
            texts: [str(issue, 'description') ?? ''],
            triggered: tags.some((t) => issueTags.includes(t)),
            ...(settings.defaultRequest ? { triggerArgs: settings.defaultRequest } : {}),
          },
          deps.catalog,
        );
      }
      // update and bulk carry the issue as it is now; the handler compares with the last status seen.
      if (event === 'update' || event === 'bulk') return [observedLifecycle(common)];
      return [];
    },

    async postComment(ticket, text, opts) {
      if (!/^[0-9]+$/.test(ticket.id)) throw new ValidationError(`mantis: issue id "${ticket.id}" is not a number`);
      await sendApiRequest({
        system: 'mantis', method: 'POST', timeoutMs: settings.timeoutMs ?? 10000,
        url: `${base}/api/rest/issues/${ticket.id}/notes`,
        // MantisBT takes the API token bare, without a scheme.
        headers: { authorization: settings.token ?? '' },
        body: { text, view_state: { name: opts.internal ? 'private' : 'public' } },
      });
    },
  };
}
