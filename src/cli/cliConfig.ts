import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ReproError, UnauthorizedError } from '../errors.js';

export interface CliConfig {
  url: string;
  token: string;
}

/** `$XDG_CONFIG_HOME/repro/config.json`, `~/.config/repro/config.json` by default. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env['XDG_CONFIG_HOME'] || join(homedir(), '.config'), 'repro', 'config.json');
}

/** `REPRO_URL` and `REPRO_TOKEN` win over the saved file (for scripts and CI). */
export async function loadCliConfig(env: NodeJS.ProcessEnv = process.env): Promise<CliConfig> {
  let saved: Partial<CliConfig> = {};
  try {
    saved = JSON.parse(await readFile(configPath(env), 'utf8')) as Partial<CliConfig>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ReproError('config_unreadable', `cannot read ${configPath(env)}: ${(err as Error).message}`);
    }
  }
  const url = env['REPRO_URL'] || saved.url;
  const token = env['REPRO_TOKEN'] || saved.token;
  if (!url || !token) throw new UnauthorizedError('not logged in: run `repro login --url URL` (or set REPRO_URL and REPRO_TOKEN)');
  return { url, token };
}

/** Readable by its owner only: it holds a bearer token. */
export async function saveCliConfig(config: CliConfig, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const path = configPath(env);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  // writeFile keeps the mode of a file that already existed.
  await chmod(path, 0o600);
  return path;
}
