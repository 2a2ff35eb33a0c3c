import type { TicketAdapter } from './port.js';
import { verifyPrefixedHmac } from './signature.js';

/**
 * What the adapters of systems that sign with `<algorithm>=<hex HMAC(body)>` in a header
 * (generic, Jira, MantisBT, Redmine, RT, Zammad) share: the name, the comments' locale (French
 * unless configured) and the signature check against the configured secret.
 */
export function prefixedHmacAdapter(
  system: string,
  settings: { locale?: 'fr' | 'en'; webhookSecret?: string },
  headerName: string,
  algorithm: 'sha1' | 'sha256',
): Pick<TicketAdapter, 'system' | 'locale' | 'verify'> {
  return {
    system,
    locale: settings.locale ?? 'fr',
    verify(req) {
      verifyPrefixedHmac(req, headerName, algorithm, settings.webhookSecret);
    },
  };
}
