import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { ReproError, ValidationError } from '../../domain/errors.js';
import { createApiClient } from '../apiClient.js';
import { configPath, readSavedConfig, removeCliConfig, saveCliConfig } from '../cliConfig.js';
import { listenForHandOff } from '../loopbackHandOff.js';
import { EXIT } from '../exitCodes.js';
import { emit } from '../output.js';

export interface LoginOptions {
  url?: string;
  token?: string;
  /** true, or the URL given as `--sso URL`. */
  sso?: boolean | string;
  /** false with `--no-browser`: only print the URL to open. */
  browser?: boolean;
}

/** How long `login --sso` waits for the browser to come back. */
const SSO_WAIT_MS = 5 * 60_000;

/** Asks on the terminal without echoing what is typed (a token is a password). */
function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  let typed = '';
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(typed.trim());
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new ReproError('cancelled', 'login cancelled'));
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else if (ch >= ' ') typed += ch;
      }
    };
    stdin.on('data', onData);
  });
}

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text.trim();
}

/**
 * Saves the API URL and a token after checking them against the server. The token comes from
 * --token, REPRO_TOKEN, a prompt that does not echo, or piped stdin (so it need not sit in shell
 * history).
 */
export async function login(json: boolean, o: LoginOptions): Promise<number> {
  const url = (typeof o.sso === 'string' ? o.sso : undefined) ?? o.url ?? process.env['REPRO_URL'];
  if (!url || !/^https?:\/\//.test(url)) throw new ValidationError('--url must be the service\'s http(s) URL, e.g. https://repro.example.org', 'url');
  if (o.sso) return loginSso(json, url.replace(/\/+$/, ''), o.browser !== false);
  const token = o.token ?? process.env['REPRO_TOKEN'] ?? (process.stdin.isTTY ? await promptHidden('API token: ') : await readStdin());
  if (!token) throw new ValidationError('give the token with --token, REPRO_TOKEN, or on stdin', 'token');
  // Any authenticated call proves the pair; the list is the one every role may make.
  await createApiClient({ url, token }).call('GET', '/v1/environments?limit=1');
  const path = await saveCliConfig({ url: url.replace(/\/+$/, ''), token });
  emit(json, { url, config: path }, () => `logged in to ${url}; saved in ${path}`);
  return EXIT.ok;
}

/** Opens the URL with xdg-open when there is one; without it (ENOENT comes as an 'error' event) the printed URL is enough. */
function openBrowser(url: string): void {
  const child = spawn('xdg-open', [url], { stdio: 'ignore', detached: true });
  child.on('error', () => undefined);
  child.unref();
}

/**
 * Single sign-on through the browser: listen on 127.0.0.1, have the browser open the service's
 * `/auth/cli?port&state` (sign-in, then a same-origin "Allow"), and take the session the service
 * sends back to the listener with our state. The session is checked, then saved like a token.
 */
async function loginSso(json: boolean, url: string, browser: boolean): Promise<number> {
  const state = randomBytes(24).toString('base64url');
  const listener = await listenForHandOff(state, SSO_WAIT_MS);
  try {
    const open = `${url}/auth/cli?port=${listener.port}&state=${state}`;
    process.stderr.write(`Open this URL in your browser to sign in (waiting up to ${SSO_WAIT_MS / 60_000} min):\n  ${open}\n`);
    if (browser) openBrowser(open);
    const session = await listener.session;
    const me = await createApiClient({ url, session }).call<{ name: string; role: string }>('GET', '/v1/me');
    const path = await saveCliConfig({ url, session });
    emit(json, { url, name: me.name, role: me.role, config: path }, () => `logged in to ${url} as ${me.name} (${me.role}); saved in ${path}`);
    return EXIT.ok;
  } finally {
    listener.close();
  }
}

/** Forgets the saved login; a single sign-on session is ended on the server too (a token stays valid). */
export async function logout(json: boolean): Promise<number> {
  const saved = await readSavedConfig();
  let ended = false;
  if (saved?.url && saved.session) {
    // An already-ended session or an unreachable server must not keep the file.
    ended = await createApiClient({ url: saved.url, session: saved.session }).call('POST', '/auth/logout').then(() => true, () => false);
  }
  await removeCliConfig();
  const path = configPath();
  emit(json, { config: path, removed: saved !== undefined, sessionEnded: ended }, () =>
    saved === undefined ? 'not logged in' : `logged out of ${saved.url ?? 'repro'}${ended ? ' (session ended on the server)' : ''}; removed ${path}`);
  return EXIT.ok;
}
