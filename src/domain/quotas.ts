import type { EnvironmentKind } from './environment.js';

/** Limits on live environments (not destroying or destroyed); VMs are also counted on their own. */
export const QUOTA_NAMES = ['perTicket', 'perRequester', 'vmPerRequester', 'vmOverall', 'overall'] as const;
export type QuotaName = (typeof QUOTA_NAMES)[number];
export type Quotas = Record<QuotaName, number>;

/** What each quota counts, for messages. */
export const QUOTA_LABELS: Record<QuotaName, string> = {
  perTicket: 'live environments per ticket',
  perRequester: 'live environments per requester',
  vmPerRequester: 'live VMs per requester',
  vmOverall: 'live VMs in all',
  overall: 'live environments in all',
};

/** The quotas a new environment of this kind must fit, narrowest first (QUOTA_NAMES' order): the answer names the one that binds. */
export function quotaChecks(quotas: Quotas, kind: EnvironmentKind): Array<[QuotaName, number]> {
  return QUOTA_NAMES.filter((name) => kind === 'vm' || !name.startsWith('vm')).map((name) => [name, quotas[name]]);
}
