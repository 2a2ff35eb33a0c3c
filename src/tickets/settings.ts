import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ConfigError } from '../domain/errors.js';
import { parseDuration } from '../domain/parseDuration.js';
import { dottedPath } from '../text/dottedPath.js';

/** Settings every system shares; the core config schema checks the first three, repeated here so each schema is whole. */
const common = {
  webhookSecret: Type.Optional(Type.String({ minLength: 8 })),
  baseUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
  locale: Type.Optional(Type.Union([Type.Literal('fr'), Type.Literal('en')])),
  /** Our own account on that system: its events are ignored so our comments do not loop back. */
  serviceAccount: Type.Optional(Type.String({ minLength: 1 })),
  /** Words after `/repro` used when a trigger (tag, label, category, field) matches without a /repro line, e.g. `debian-12 +nginx`. */
  defaultRequest: Type.Optional(Type.String({ minLength: 1 })),
  /** Timeout of one REST call to the system. */
  timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 120000 })),
  /** How long after a resolve/close the environments are torn down (`30m`, `1d`); default at once. A reopen within it cancels. */
  teardownGrace: Type.Optional(Type.String({ minLength: 2 })),
  /** How long before expiry the "expiring soon" comment is posted; default 1h. */
  expiryNoticeLead: Type.Optional(Type.String({ minLength: 2 })),
  /** Attempts per comment before it counts as failed (default 8) and the first retry delay, doubled each time (default 10s). */
  notifyAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
  notifyBackoff: Type.Optional(Type.String({ minLength: 2 })),
  /** This system's own webhooks.maxSkew: how far a delivery's signed time may be from now. */
  maxSkew: Type.Optional(Type.String({ minLength: 2 })),
};

function system<P extends TProperties>(props: P): TObject<typeof common & P> {
  return Type.Object({ ...common, ...props }, { additionalProperties: false });
}

const Names = Type.Array(Type.String({ minLength: 1 }), { minItems: 1 });
const Ids = Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1 });

export const TICKET_SETTINGS_SCHEMAS = {
  glpi: system({
    /** v1: `apirest.php` with App-Token + user token; v2: `api.php/v2` with a bearer token. */
    api: Type.Optional(Type.Union([Type.Literal('v1'), Type.Literal('v2')])),
    appToken: Type.Optional(Type.String({ minLength: 1 })),
    userToken: Type.Optional(Type.String({ minLength: 1 })),
    apiToken: Type.Optional(Type.String({ minLength: 1 })),
    trigger: Type.Optional(Type.Object({ categoryIds: Type.Optional(Ids), categoryNames: Type.Optional(Names) }, { additionalProperties: false })),
    /** Status ids (names are localized); defaults 5 Solved, 6 Closed. */
    statuses: Type.Optional(Type.Object({ resolved: Type.Optional(Ids), closed: Type.Optional(Ids) }, { additionalProperties: false })),
  }),
  redmine: system({
    apiKey: Type.Optional(Type.String({ minLength: 1 })),
    trigger: Type.Optional(Type.Object({ customFieldId: Type.Integer({ minimum: 1 }) }, { additionalProperties: false })),
  }),
  jira: system({
    flavor: Type.Optional(Type.Union([Type.Literal('cloud'), Type.Literal('datacenter')])),
    email: Type.Optional(Type.String({ minLength: 3 })),
    apiToken: Type.Optional(Type.String({ minLength: 1 })),
    personalAccessToken: Type.Optional(Type.String({ minLength: 1 })),
    trigger: Type.Optional(
      Type.Object({ labels: Type.Optional(Names), customFieldId: Type.Optional(Type.String({ pattern: '^customfield_[0-9]+$' })) }, { additionalProperties: false }),
    ),
    /** Restricts who sees our comments, e.g. `{type: role, value: Administrators}`. */
    commentVisibility: Type.Optional(
      Type.Object({ type: Type.Union([Type.Literal('role'), Type.Literal('group')]), value: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
    ),
  }),
  gitlab: system({
    token: Type.Optional(Type.String({ minLength: 1 })),
    trigger: Type.Optional(Type.Object({ labels: Names }, { additionalProperties: false })),
  }),
  zammad: system({
    token: Type.Optional(Type.String({ minLength: 1 })),
    /**
     * Names of Zammad Triggers (sent as `X-Zammad-Trigger`) whose deliveries are requests: tags are
     * not in Zammad's webhook payload, so the tag condition lives in the Trigger ("Tags contains repro").
     */
    trigger: Type.Optional(Type.Object({ triggerNames: Names }, { additionalProperties: false })),
    /** State names that tear down; default closed, merged, removed. */
    closedStates: Type.Optional(Names),
  }),
  mantis: system({
    token: Type.Optional(Type.String({ minLength: 1 })),
    trigger: Type.Optional(Type.Object({ tags: Names }, { additionalProperties: false })),
    /** Status id from which an issue counts as resolved (MantisBT's `bug_resolved_status_threshold`, default 80). */
    resolvedThreshold: Type.Optional(Type.Integer({ minimum: 10 })),
    /** Status id that counts as closed (default 90). */
    closedStatus: Type.Optional(Type.Integer({ minimum: 10 })),
  }),
  rt: system({
    token: Type.Optional(Type.String({ minLength: 1 })),
    /** Status names that tear down; default resolved, rejected, deleted. */
    closedStatuses: Type.Optional(Names),
  }),
  generic: system({
    /** Where comments go (POST JSON `{ticket, text, internal}`); none when absent. */
    commentUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
    commentToken: Type.Optional(Type.String({ minLength: 1 })),
  }),
} as const;

export type TicketSystem = keyof typeof TICKET_SETTINGS_SCHEMAS;
export const TICKET_SYSTEMS = Object.keys(TICKET_SETTINGS_SCHEMAS) as TicketSystem[];
export type TicketSettings<S extends TicketSystem> = Static<(typeof TICKET_SETTINGS_SCHEMAS)[S]>;
export type TicketsConfig = { [S in TicketSystem]?: TicketSettings<S> };

/** Credentials each system needs before a comment can be posted; checked here so a missing one fails at start. */
const REQUIRED: { [S in TicketSystem]: Array<keyof TicketSettings<S> & string> } = {
  glpi: ['webhookSecret', 'baseUrl'],
  redmine: ['webhookSecret', 'baseUrl', 'apiKey'],
  jira: ['webhookSecret', 'baseUrl'],
  gitlab: ['webhookSecret', 'baseUrl', 'token'],
  zammad: ['webhookSecret', 'baseUrl', 'token'],
  mantis: ['webhookSecret', 'baseUrl', 'token'],
  rt: ['webhookSecret', 'baseUrl', 'token'],
  generic: ['webhookSecret'],
};

/**
 * Validates `config.tickets` at start. Throws ConfigError naming every bad setting as
 * `tickets.<system>.<field>`; never echoes a value, since most of them are secrets.
 */
export function validateTicketsConfig(tickets: Record<string, unknown> | undefined): TicketsConfig {
  const problems: string[] = [];
  const result: Record<string, unknown> = {};
  for (const [name, settings] of Object.entries(tickets ?? {})) {
    if (!(name in TICKET_SETTINGS_SCHEMAS)) {
      problems.push(`tickets.${name}: unknown ticket system (known: ${TICKET_SYSTEMS.join(', ')})`);
      continue;
    }
    const key = name as TicketSystem;
    const schema = TICKET_SETTINGS_SCHEMAS[key];
    for (const error of Value.Errors(schema, settings)) {
      const path = dottedPath(error.path);
      problems.push(`tickets.${name}${path ? `.${path}` : ''}: ${error.message}`);
    }
    if (!Value.Check(schema, settings)) continue;
    const valid = settings as Record<string, unknown>;
    for (const field of REQUIRED[key] as string[]) {
      if (valid[field] === undefined) problems.push(`tickets.${name}.${field}: required for ${name}`);
    }
    problems.push(...crossChecks(key, valid));
    result[name] = valid;
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return result as TicketsConfig;
}

function crossChecks(name: TicketSystem, s: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const field of ['teardownGrace', 'expiryNoticeLead', 'notifyBackoff', 'maxSkew']) {
    const value = s[field];
    if (typeof value !== 'string') continue;
    try {
      parseDuration(value, field);
    } catch (err) {
      out.push(`tickets.${name}.${(err as Error).message}`);
    }
  }
  if (name === 'glpi') {
    if ((s['api'] ?? 'v1') === 'v1' && (!s['appToken'] || !s['userToken'])) out.push('tickets.glpi.userToken: API v1 needs appToken and userToken');
    if (s['api'] === 'v2' && !s['apiToken']) out.push('tickets.glpi.apiToken: API v2 needs apiToken');
  }
  if (name === 'jira') {
    if ((s['flavor'] ?? 'cloud') === 'cloud' && (!s['email'] || !s['apiToken'])) out.push('tickets.jira.apiToken: Jira Cloud needs email and apiToken');
    if (s['flavor'] === 'datacenter' && !s['personalAccessToken']) out.push('tickets.jira.personalAccessToken: Jira Data Center needs a personal access token');
  }
  return out;
}
