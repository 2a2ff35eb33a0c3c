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

/** One adapter per configured system; a system absent from the config has none (its webhook answers 404). */
export function createTicketAdapters(config: TicketsConfig, deps: AdapterDeps): Map<TicketSystem, TicketAdapter> {
  const adapters = new Map<TicketSystem, TicketAdapter>();
  if (config.glpi) adapters.set('glpi', createGlpiAdapter(config.glpi, deps));
  if (config.redmine) adapters.set('redmine', createRedmineAdapter(config.redmine, deps));
  if (config.jira) adapters.set('jira', createJiraAdapter(config.jira, deps));
  if (config.gitlab) adapters.set('gitlab', createGitlabAdapter(config.gitlab, deps));
  if (config.zammad) adapters.set('zammad', createZammadAdapter(config.zammad, deps));
  if (config.mantis) adapters.set('mantis', createMantisAdapter(config.mantis, deps));
  if (config.rt) adapters.set('rt', createRtAdapter(config.rt, deps));
  if (config.generic) adapters.set('generic', createGenericAdapter(config.generic, deps));
  return adapters;
}
