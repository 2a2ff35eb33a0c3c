import { ReproError, ValidationError } from '../../errors.js';
import { createApiClient } from '../apiClient.js';
import { saveCliConfig } from '../cliConfig.js';
import { EXIT } from '../exitCodes.js';
import { emit } from '../output.js';

export interface LoginOptions {
  url?: string;
  token?: string;
  sso?: boolean;
}

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
  if (o.sso) {
    throw new ReproError('unsupported', 'single sign-on login from the CLI is not available yet: create a token in the console (Tokens page) or ask an admin (`repro tokens create`), then run `repro login --url URL` and paste it', { status: 501 });
  }
  const url = o.url ?? process.env['REPRO_URL'];
  if (!url || !/^https?:\/\//.test(url)) throw new ValidationError('--url must be the service\'s http(s) URL, e.g. https://repro.example.org', 'url');
  const token = o.token ?? process.env['REPRO_TOKEN'] ?? (process.stdin.isTTY ? await promptHidden('API token: ') : await readStdin());
  if (!token) throw new ValidationError('give the token with --token, REPRO_TOKEN, or on stdin', 'token');
  // Any authenticated call proves the pair; the list is the one every role may make.
  await createApiClient({ url, token }).call('GET', '/v1/environments?limit=1');
  const path = await saveCliConfig({ url: url.replace(/\/+$/, ''), token });
  emit(json, { url, config: path }, () => `logged in to ${url}; saved in ${path}`);
  return EXIT.ok;
}
