import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ReproError, UnauthorizedError } from '../domain/errors.js';

/** Either an API token, or a session handed over by `repro login --sso` (sent as the console's cookie). */
export type CliConfig = { url: string; token: string; session?: undefined } | { url: string; session: string; token?: undefined };

/** `$XDG_CONFIG_HOME/repro/config.json`, `~/.config/repro/config.json` by default. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env['XDG_CONFIG_HOME'] || join(homedir(), '.config'), 'repro', 'config.json');
}

/** What the file holds, or undefined when there is none. */
export async function readSavedConfig(env: NodeJS.ProcessEnv = process.env): Promise<Partial<{ url: string; token: string; session: string }> | undefined> {
  try {
    return JSON.parse(await readFile(configPath(env), 'utf8')) as Partial<{ url: string; token: string; session: string }>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ReproError('config_unreadable', `cannot read ${configPath(env)}: ${(err as Error).message}`);
  }
}

/** `REPRO_URL` and `REPRO_TOKEN` win over the saved file (for scripts and CI). */
export async function loadCliConfig(env: NodeJS.ProcessEnv = process.env): Promise<CliConfig> {
  const saved = (await readSavedConfig(env)) ?? {};
  const url = env['REPRO_URL'] || saved.url;
  const token = env['REPRO_TOKEN'] || saved.token;
  if (url && token) return { url, token };
  if (url && saved.session) return { url, session: saved.session };
  throw new UnauthorizedError('not logged in: run `repro login --url URL` or `repro login --sso URL` (or set REPRO_URL and REPRO_TOKEN)');
}

/** Readable by its owner only: it holds a bearer token or a session. */
export async function saveCliConfig(config: CliConfig, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const path = configPath(env);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  // writeFile keeps the mode of a file that already existed.
  await chmod(path, 0o600);
  return path;
}

export async function removeCliConfig(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  await rm(configPath(env), { force: true });
}
