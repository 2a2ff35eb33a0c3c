import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  close(): Promise<void>;
}

/**
 * A real OpenID provider (`oidc-provider`) on a free loopback port: one confidential client for
 * repro, PKCE required, and accounts whose groups come from `groups` (any password signs in, through
 * the provider's own login and consent pages).
 */
export async function startOidcProvider(opts: { redirectUri: string; postLogoutRedirectUri: string; groups: Record<string, string[]> }): Promise<TestProvider> {
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server = createServer((req, res) => handler?.(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const clientId = 'repro-test';
  const clientSecret = randomBytes(24).toString('hex');

  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [opts.redirectUri],
      post_logout_redirect_uris: [opts.postLogoutRedirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    pkce: { required: () => true },
    scopes: ['openid', 'profile', 'email', 'groups'],
    claims: { openid: ['sub'], profile: ['preferred_username', 'name'], email: ['email'], groups: ['groups'] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    async findAccount(_ctx, id) {
      return {
        accountId: id,
        async claims() {
          return { sub: id, preferred_username: id, name: id, email: `${id}@example.test`, groups: opts.groups[id] ?? [] };
        },
      };
    },
  });
  const callback = provider.callback();
  handler = (req, res) => void callback(req, res);
  return {
    issuer, clientId, clientSecret,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** The service settings that sign people in through `provider`, with groups mapped by `roleMap`. */
export function oidcEnv(provider: TestProvider, publicUrl: string, roleMap: string): Record<string, string> {
  return {
    REPRO_PUBLIC_URL: publicUrl,
    REPRO_OIDC_ISSUER: provider.issuer,
    REPRO_OIDC_CLIENT_ID: provider.clientId,
    REPRO_OIDC_CLIENT_SECRET: provider.clientSecret,
    REPRO_OIDC_SCOPES: 'openid profile email groups',
    REPRO_OIDC_ROLE_MAP: roleMap,
  };
}
