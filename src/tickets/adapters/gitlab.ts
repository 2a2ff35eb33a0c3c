import { UnauthorizedError, ValidationError } from '../../domain/errors.js';
import type { AdapterDeps, TicketAdapter, TicketStatus } from '../port.js';
import type { TicketSettings } from '../settings.js';
import { header, safeEqual } from '../signature.js';
import { deliveryId } from '../deliveryId.js';
import { at, intId, str } from '../jsonFields.js';
import { isObject, parseJsonObject } from '../parseJsonObject.js';
import { requestEvents } from '../requestEvents.js';
import { sameAccount } from '../sameAccount.js';
import { sendApiRequest } from '../sendApiRequest.js';
import { ticketRef } from '../ticketRef.js';

/**
 * GitLab Issue Hook / Confidential Issue Hook and Note Hook (doc/user/project/integrations/
 * webhook_events.md): `object_attributes.{iid, state, action, description, labels}`, `changes`,
 * `user.username`; a note carries the issue under `issue`. `X-Gitlab-Token` is the secret itself.
 * Ticket id `<project id>#<iid>`, the way GitLab itself writes cross-project references.
 */
export function createGitlabAdapter(settings: TicketSettings<'gitlab'>, deps: AdapterDeps): TicketAdapter {
  const base = (settings.baseUrl ?? '').replace(/\/+$/, '');
  const labels = settings.trigger?.labels ?? [];
  const titles = (value: unknown): string[] => (Array.isArray(value) ? value.map((l) => str(l, 'title')).filter((t): t is string => !!t) : []);

  return {
    system: 'gitlab',
    locale: settings.locale ?? 'fr',

    verify(req) {
      if (!settings.webhookSecret) throw new UnauthorizedError('no webhook secret is configured for gitlab');
      const token = header(req.headers, 'x-gitlab-token');
      if (!token) throw new UnauthorizedError('missing X-Gitlab-Token header');
      if (!safeEqual(token, settings.webhookSecret)) throw new UnauthorizedError('bad X-Gitlab-Token');
    },

    parse(rawBody) {
      const body = parseJsonObject(rawBody);
      const kind = str(body, 'object_kind');
      const author = str(body, 'user.username') ?? 'gitlab';
      if (sameAccount(author, settings.serviceAccount)) return [];
      const delivery = deliveryId('gitlab', undefined, rawBody);
      const projectId = intId(body, 'project.id');

      if (kind === 'note') {
        if (str(body, 'object_attributes.noteable_type') !== 'Issue' || at(body, 'object_attributes.system') === true) return [];
        if (str(body, 'object_attributes.action') === 'update') return [];
        const issue = body['issue'];
        const ticket = ticketRef('gitlab', `${projectId}#${intId(body, 'issue.iid')}`, str(issue, 'url'), str(issue, 'title'));
        const status: TicketStatus = { raw: str(issue, 'state') ?? 'opened', state: str(issue, 'state') === 'closed' ? 'closed' : 'open' };
        return requestEvents({ ticket, deliveryId: delivery, author, status, texts: [str(body, 'object_attributes.note') ?? ''], triggered: false }, deps.catalog);
      }
      if (kind !== 'issue') return [];
      const attrs = body['object_attributes'];
      if (!isObject(attrs)) throw new ValidationError('object_attributes is missing', 'object_attributes');
      const ticket = ticketRef('gitlab', `${projectId}#${intId(body, 'object_attributes.iid')}`, str(attrs, 'url'), str(attrs, 'title'));
      const state = str(attrs, 'state') ?? 'opened';
      const status: TicketStatus = { raw: state, state: state === 'closed' ? 'closed' : 'open' };
      const common = { ticket, deliveryId: delivery, author, status };
      const action = str(attrs, 'action');
      if (action === 'close') return [{ ...common, type: 'ticket.closed', observed: false }];
      if (action === 'reopen') return [{ ...common, type: 'ticket.reopened', observed: false }];
      const trigger = settings.defaultRequest ? { triggerArgs: settings.defaultRequest } : {};
      if (action === 'open') {
        const hasLabel = titles(attrs['labels']).some((t) => labels.includes(t));
        return requestEvents({ ...common, texts: [str(attrs, 'description') ?? ''], triggered: hasLabel, ...trigger }, deps.catalog);
      }
      if (action === 'update') {
        const before = titles(at(body, 'changes.labels.previous'));
        const after = titles(at(body, 'changes.labels.current'));
        const added = labels.some((l) => after.includes(l) && !before.includes(l));
        return added ? requestEvents({ ...common, texts: [], triggered: true, ...trigger }, deps.catalog) : [];
      }
      return [];
    },

    async postComment(ticket, text, opts) {
      const match = /^([0-9]+)#([0-9]+)$/.exec(ticket.id);
      if (!match) throw new ValidationError(`gitlab: "${ticket.id}" is not <project id>#<iid>`);
      await sendApiRequest({
        system: 'gitlab', method: 'POST', timeoutMs: settings.timeoutMs ?? 10000,
        url: `${base}/api/v4/projects/${match[1]}/issues/${match[2]}/notes`,
        headers: { 'private-token': settings.token ?? '' },
        body: { body: text, internal: opts.internal },
      });
    },
  };
}
