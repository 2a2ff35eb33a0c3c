import { ValidationError } from '../../domain/errors.js';
import type { AdapterDeps, TicketAdapter, TicketEvent, TicketStatus } from '../port.js';
import type { TicketSettings } from '../settings.js';
import { requireFresh } from '../signature.js';
import { deliveryId } from '../deliveryId.js';
import { at, str } from '../jsonFields.js';
import { isObject, parseJsonObject } from '../parseJsonObject.js';
import { requestEvents } from '../requestEvents.js';
import { sameAccount } from '../sameAccount.js';
import { prefixedHmacAdapter } from '../prefixedHmacAdapter.js';
import { sendApiRequest } from '../sendApiRequest.js';
import { ticketRef } from '../ticketRef.js';

const KEY = /^[A-Z][A-Z0-9_]*-[1-9][0-9]*$/;

/**
 * Jira Cloud and Data Center webhooks: `{webhookEvent: "jira:issue_created|updated|deleted" |
 * "comment_created", user, issue: {key, fields: {summary, description, labels, status:
 * {statusCategory: {key}}}}, changelog?: {items: [{field, fromString, toString}]}, comment?}`,
 * `X-Hub-Signature: sha256=<hex>` when a secret is set. `X-Atlassian-Webhook-Identifier` is not
 * signed, so deliveries are told apart by their bytes; the signed `timestamp` (ms) must be within
 * webhooks.maxSkew of now. Teardown when the status category is `done`.
 */
export function createJiraAdapter(settings: TicketSettings<'jira'>, deps: AdapterDeps): TicketAdapter {
  const base = (settings.baseUrl ?? '').replace(/\/+$/, '');
  const cloud = (settings.flavor ?? 'cloud') === 'cloud';
  const labels = settings.trigger?.labels ?? [];
  const fieldId = settings.trigger?.customFieldId;

  function fieldArgs(issue: unknown): string | undefined {
    if (!fieldId) return undefined;
    const value = at(issue, `fields.${fieldId}`);
    const text = typeof value === 'string' ? value : str(value, 'value');
    const trimmed = text?.trim().replace(/^\/repro\b/, '').trim();
    return trimmed ? trimmed : undefined;
  }

  return {
    ...prefixedHmacAdapter('jira', settings, 'x-hub-signature', 'sha256'),

    parse(rawBody) {
      const body = parseJsonObject(rawBody);
      const sentAt = body['timestamp'];
      if (sentAt !== undefined) {
        if (typeof sentAt !== 'number') throw new ValidationError('timestamp must be a time in milliseconds', 'timestamp');
        requireFresh(sentAt, deps, 'timestamp');
      }
      const event = str(body, 'webhookEvent') ?? '';
      const issue = body['issue'];
      if (!isObject(issue)) return [];
      const key = issue['key'];
      if (typeof key !== 'string' || !KEY.test(key)) throw new ValidationError('issue.key must be an issue key such as OPS-12', 'issue.key');
      const ticket = ticketRef('jira', key, base ? `${base}/browse/${key}` : undefined, str(issue, 'fields.summary'));
      const category = str(issue, 'fields.status.statusCategory.key');
      const status: TicketStatus = { raw: str(issue, 'fields.status.name') ?? category ?? 'unknown', state: category === 'done' ? 'resolved' : 'open' };
      const delivery = deliveryId('jira', undefined, rawBody);
      const comment = body['comment'];
      const actor = event === 'comment_created' && isObject(comment) ? comment['author'] : body['user'];
      const author = str(actor, 'accountId') ?? str(actor, 'name') ?? 'jira';
      if (sameAccount(author, settings.serviceAccount, str(actor, 'emailAddress'), str(actor, 'displayName'))) return [];
      const base_ = { ticket, deliveryId: delivery, author, status };

      if (event === 'jira:issue_deleted') return [{ ...base_, status: { ...status, state: 'deleted' }, type: 'ticket.deleted', observed: false }];
      const commentText = isObject(comment) ? documentText(comment['body']) : '';
      if (event === 'comment_created') {
        return requestEvents({ ...base_, texts: [commentText], triggered: false }, deps.catalog);
      }
      const issueLabels = at(issue, 'fields.labels');
      const hasLabel = Array.isArray(issueLabels) && issueLabels.some((l) => typeof l === 'string' && labels.includes(l));
      const args = fieldArgs(issue) ?? settings.defaultRequest;
      if (event === 'jira:issue_created') {
        return requestEvents(
          { ...base_, texts: [documentText(at(issue, 'fields.description'))], triggered: hasLabel || fieldArgs(issue) !== undefined, ...(args ? { triggerArgs: args } : {}) },
          deps.catalog,
        );
      }
      if (event !== 'jira:issue_updated') return [];
      const items = at(body, 'changelog.items');
      const changes = Array.isArray(items) ? items.filter(isObject) : [];
      const labelAdded = changes.some((c) => c['field'] === 'labels' && labels.some((l) => words(c['toString']).includes(l) && !words(c['fromString']).includes(l)));
      const fieldSet = fieldId !== undefined && changes.some((c) => c['fieldId'] === fieldId || c['field'] === fieldId) && fieldArgs(issue) !== undefined;
      const events: TicketEvent[] = requestEvents(
        { ...base_, texts: [commentText], triggered: labelAdded || fieldSet, ...(args ? { triggerArgs: args } : {}) },
        deps.catalog,
      );
      if (changes.some((c) => c['field'] === 'status')) {
        events.push(status.state === 'resolved' ? { ...base_, type: 'ticket.resolved', observed: false } : { ...base_, type: 'ticket.reopened', observed: true });
      }
      return events;
    },

    async postComment(ticket, text, opts) {
      if (!KEY.test(ticket.id)) throw new ValidationError(`jira: "${ticket.id}" is not an issue key`);
      const restriction: Record<string, unknown> = {};
      if (opts.internal) {
        // A role or group restriction where configured; otherwise Jira Service Management's internal flag
        // (ignored by Jira Software projects, where comments are then visible to project members).
        if (settings.commentVisibility) restriction['visibility'] = settings.commentVisibility;
        else restriction['properties'] = [{ key: 'sd.public.comment', value: { internal: true } }];
      }
      const auth = cloud
        ? `Basic ${Buffer.from(`${settings.email ?? ''}:${settings.apiToken ?? ''}`).toString('base64')}`
        : `Bearer ${settings.personalAccessToken ?? ''}`;
      await sendApiRequest({
        system: 'jira', method: 'POST', timeoutMs: settings.timeoutMs ?? 10000,
        url: `${base}/rest/api/${cloud ? 3 : 2}/issue/${ticket.id}/comment`,
        headers: { authorization: auth },
        body: { body: cloud ? toDocument(text) : text, ...restriction },
      });
    },
  };
}

function words(value: unknown): string[] {
  return typeof value === 'string' ? value.split(/\s+/) : [];
}

const PARAGRAPH_END = Symbol('paragraph end');

/**
 * Cloud sends rich text as Atlassian Document Format, Data Center as wiki-markup strings.
 * Walked with an explicit stack: a delivery nested a million levels deep must cost memory in
 * proportion to its size, not overflow the call stack.
 */
function documentText(value: unknown): string {
  if (typeof value === 'string') return value;
  let out = '';
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === PARAGRAPH_END) {
      out += '\n';
      continue;
    }
    if (typeof node === 'string') {
      out += node;
      continue;
    }
    if (!isObject(node)) continue;
    if (node['type'] === 'text') {
      if (typeof node['text'] === 'string') out += node['text'];
      continue;
    }
    if (node['type'] === 'hardBreak') {
      out += '\n';
      continue;
    }
    if (node['type'] === 'paragraph' || node['type'] === 'codeBlock') stack.push(PARAGRAPH_END);
    const content = Array.isArray(node['content']) ? node['content'] : [];
    for (let i = content.length - 1; i >= 0; i--) stack.push(content[i]);
  }
  return out;
}

function toDocument(text: string): unknown {
  return {
    type: 'doc',
    version: 1,
    content: text.split('\n').map((line) => ({ type: 'paragraph', content: line ? [{ type: 'text', text: line }] : [] })),
  };
}
