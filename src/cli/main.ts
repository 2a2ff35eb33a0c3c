import { Command, CommanderError, Option } from 'commander';
import { ReproError } from '../domain/errors.js';
import { createApiClient, type ApiClient } from './apiClient.js';
import { loadCliConfig } from './cliConfig.js';
import { buildImage, createToken, listImages, listTokens, revokeToken } from './commands/admin.js';
import { createEnvironment, extendEnvironment, listEnvironments, removeEnvironment, showEnvironment, showEvents } from './commands/environments.js';
import { execCommand } from './commands/exec.js';
import { login, logout } from './commands/login.js';
import { shell } from './commands/shell.js';
import { EXIT, exitCodeFor } from './exitCodes.js';

/** Each action resolves with the exit code; errors are printed once, here, and mapped to exit codes. */
type Action = (api: ApiClient) => Promise<number>;
type Run = (action: Action, needsLogin?: boolean) => Promise<void>;

function buildProgram(run: Run): Command {
  const program = new Command('repro')
    .description('Throwaway reproduction environments for support tickets, from the command line')
    .option('--json', 'machine-readable output')
    .showHelpAfterError()
    .exitOverride();
  const json = () => program.opts<{ json?: boolean }>().json === true;

  program.command('login')
    .description('check and save the API URL and a token (~/.config/repro/config.json, mode 0600)')
    .option('--url <url>', 'the service URL, e.g. https://repro.example.org')
    .option('--token <token>', 'an API token (else REPRO_TOKEN, else read from stdin)')
    .option('--sso [url]', 'sign in through the browser (single sign-on); the URL as here or with --url')
    .option('--no-browser', 'with --sso: only print the URL to open, do not run xdg-open')
    .action(async (o: { url?: string; token?: string; sso?: boolean | string; browser?: boolean }) => {
      await run(async () => login(json(), o), false);
    });
  program.command('logout')
    .description('forget the saved login (and end a single sign-on session on the server)')
    .action(async () => run(async () => logout(json()), false));

  const env = program.command('env').description('environments');
  env.command('ls').description('list environments, newest first')
    .option('--state <state>', 'requested, provisioning, ready, failed, destroying, destroyed')
    .option('--ticket <system:id>', 'only this ticket\'s')
    .option('--requester <name>', 'only this requester\'s (support and admin)')
    .action(async (o: { state?: string; ticket?: string; requester?: string }) => run((api) => listEnvironments(api, json(), o)));
  env.command('create').description('request an environment for a ticket')
    .requiredOption('--ticket <system:id>', 'the ticket, e.g. redmine:1234 or generic:T-1')
    .requiredOption('--image <name>', 'catalog image, e.g. debian-12 (see `repro images ls`)')
    .option('--vm', 'a libvirt VM instead of a container')
    .option('-p, --package <name>', 'a package to install (repeatable)', (v: string, all: string[] = []) => [...all, v])
    .option('--ttl <duration>', 'lifetime: 30m, 8h, 2d or ISO 8601')
    .option('--note <text>', 'free text recorded on the environment')
    .option('-w, --wait', 'follow progress until it is ready, then print how to connect')
    .action(async (o) => run((api) => createEnvironment(api, json(), o)));
  env.command('show <env>').description('one environment: state, access, expiry')
    .action(async (id: string) => run((api) => showEnvironment(api, json(), id)));
  env.command('extend <env>').description('move the expiry to now + ttl')
    .requiredOption('--ttl <duration>', 'e.g. 1d')
    .action(async (id: string, o: { ttl: string }) => run((api) => extendEnvironment(api, json(), id, o.ttl)));
  env.command('rm <env>').description('destroy an environment')
    .option('-w, --wait', 'wait until it is destroyed')
    .action(async (id: string, o: { wait?: boolean }) => run((api) => removeEnvironment(api, json(), id, o.wait === true)));

  program.command('exec <env> <command...>').description('run a command (argv, no shell) and exit with its exit code; put -- before the command')
    .action(async (id: string, command: string[]) => run((api) => execCommand(api, json(), id, command)));
  program.command('shell <env>').description('an interactive login shell in the environment')
    .action(async (id: string) => run((api) => shell(api, id)));
  program.command('events <env>').description('the environment\'s events (progress and audit)')
    .option('-f, --follow', 'keep following until it is destroyed')
    .action(async (id: string, o: { follow?: boolean }) => run((api) => showEvents(api, json(), id, o.follow === true)));

  const images = program.command('images').description('the image catalog');
  images.command('ls').description('list catalog images').action(async () => run((api) => listImages(api, json())));
  images.command('build <image>').description('admin: build an image\'s current definition')
    .option('-w, --wait', 'wait for the build and print its log')
    .action(async (name: string, o: { wait?: boolean }) => run((api) => buildImage(api, json(), name, o.wait === true)));

  const tokens = program.command('tokens').description('API tokens (admin)');
  tokens.command('ls').description('list tokens (never their values)').action(async () => run((api) => listTokens(api, json())));
  tokens.command('create <name>').description('issue a token, shown once')
    .addOption(new Option('--role <role>', 'its role').choices(['requester', 'support', 'admin']).default('requester'))
    .option('--ttl <duration>', 'expiry, e.g. 30d')
    .action(async (name: string, o: { role: string; ttl?: string }) => run((api) => createToken(api, json(), name, o.role, o.ttl)));
  tokens.command('rm <name>').description('revoke a token').action(async (name: string) => run((api) => revokeToken(api, json(), name)));
  return program;
}

export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const run: Run = async (action, needsLogin = true) => {
    try {
      // login makes its own client: it is the one command that works before a configuration exists.
      const api = needsLogin ? createApiClient(await loadCliConfig()) : undefined;
      code = await action(api as ApiClient);
    } catch (err) {
      code = exitCodeFor(err);
      const message = err instanceof ReproError ? `${err.message}${err.field ? ` (field: ${err.field})` : ''}` : (err as Error).message;
      process.stderr.write(`repro: ${message}\n`);
    }
  };
  try {
    await buildProgram(run).parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    throw err;
  }
  return code;
}

process.exitCode = await main(process.argv);
