import * as client from 'openid-client';
import type { Config } from '../config/loadConfig.js';
import { UnauthorizedError } from '../domain/errors.js';
import type { SessionStore } from '../store/sessionStore.js';

type OidcConfig = NonNullable<Config['oidc']>;

/** A pending login lives this long between the redirect to the provider and the callback. */
const LOGIN_TTL_SECONDS = 600;

export interface OidcClient {
  /** Where to send the browser; the PKCE verifier, nonce and return path wait in Redis under the state. */
  startLogin(returnTo: string): Promise<URL>;
  /** Exchanges the callback's code (checking state, PKCE and nonce); returns the merged ID token and userinfo claims. */
  finishLogin(callbackUrl: URL): Promise<{ claims: Record<string, unknown>; returnTo: string }>;
  /** The provider's end-session URL, when it has one. */
  logoutUrl(postLogoutRedirect: string): Promise<URL | undefined>;
}

/** Authorization code + PKCE with `openid-client`; the provider's metadata is discovered on first use. */
export function createOidcClient(oidc: OidcConfig, redirectUri: string, sessions: SessionStore): OidcClient {
  let discovered: Promise<client.Configuration> | undefined;
  const configuration = () => {
    discovered ??= client.discovery(
      new URL(oidc.issuer),
      oidc.clientId,
      { redirect_uris: [redirectUri] },
      oidc.clientSecret ? client.ClientSecretBasic(oidc.clientSecret) : client.None(),
      // loadConfig allows plain http only for an issuer on a loopback address.
      new URL(oidc.issuer).protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : {},
    ).catch((err: unknown) => {
      discovered = undefined; // try again on the next login rather than remember an outage
      throw err;
    });
    return discovered;
  };

  return {
    async startLogin(returnTo) {
      const config = await configuration();
      const codeVerifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      await sessions.savePending(state, { codeVerifier, nonce, returnTo }, LOGIN_TTL_SECONDS);
      return client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: oidc.scopes,
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
    },

    async finishLogin(callbackUrl) {
      const state = callbackUrl.searchParams.get('state');
      const pending = state ? await sessions.takePending(state) : undefined;
      if (!state || !pending) throw new UnauthorizedError('this sign-in link expired or was already used; sign in again');
      const config = await configuration();
      const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      const idClaims = tokens.claims();
      if (!idClaims) throw new UnauthorizedError('the identity provider returned no ID token');
      // Providers often keep groups out of the ID token; userinfo has them.
      const userinfo = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
      return { claims: { ...userinfo, ...idClaims }, returnTo: pending.returnTo };
    },

    async logoutUrl(postLogoutRedirect) {
      const config = await configuration();
      if (!config.serverMetadata().end_session_endpoint) return undefined;
      return client.buildEndSessionUrl(config, { post_logout_redirect_uri: postLogoutRedirect, client_id: oidc.clientId });
    },
  };
}
