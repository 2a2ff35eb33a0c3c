import { parseDuration } from '../domain/parseDuration.js';
import type { AdapterDeps, TicketAdapter } from './port.js';
import type { TicketsConfig, TicketSystem } from './settings.js';
import { createGlpiAdapter } from './adapters/glpi.js';
import { createRedmineAdapter } from './adapters/redmine.js';
import { createJiraAdapter } from './adapters/jira.js';
import { createGitlabAdapter } from './adapters/gitlab.js';
import { createZammadAdapter } from './adapters/zammad.js';
import { createMantisAdapter } from './adapters/mantis.js';
import { createRtAdapter } from './adapters/rt.js';
import { createGenericAdapter } from './adapters/generic.js';

/**
 * One adapter per configured system; a system absent from the config has none (its webhook
 * answers 404). A system's own `maxSkew` replaces the service-wide window for its deliveries.
 */
export function createTicketAdapters(config: TicketsConfig, shared: AdapterDeps): Map<TicketSystem, TicketAdapter> {
  const adapters = new Map<TicketSystem, TicketAdapter>();
  const depsFor = (settings: { maxSkew?: string }): AdapterDeps =>
    settings.maxSkew ? { ...shared, maxSkewSeconds: parseDuration(settings.maxSkew, 'maxSkew') } : shared;
  if (config.glpi) adapters.set('glpi', createGlpiAdapter(config.glpi, depsFor(config.glpi)));
  if (config.redmine) adapters.set('redmine', createRedmineAdapter(config.redmine, depsFor(config.redmine)));
  if (config.jira) adapters.set('jira', createJiraAdapter(config.jira, depsFor(config.jira)));
  if (config.gitlab) adapters.set('gitlab', createGitlabAdapter(config.gitlab, depsFor(config.gitlab)));
  if (config.zammad) adapters.set('zammad', createZammadAdapter(config.zammad, depsFor(config.zammad)));
  if (config.mantis) adapters.set('mantis', createMantisAdapter(config.mantis, depsFor(config.mantis)));
  if (config.rt) adapters.set('rt', createRtAdapter(config.rt, depsFor(config.rt)));
  if (config.generic) adapters.set('generic', createGenericAdapter(config.generic, depsFor(config.generic)));
  return adapters;
}
