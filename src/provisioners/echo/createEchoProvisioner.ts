import { CancelledError, NotFoundError, ProviderError, ValidationError } from '../../domain/errors.js';
import { resourceLabels, LABELS, type ManagedResource, type ProvisionSpec, type Provisioner } from '../port.js';

/** What one create() does. */
export type EchoOutcome =
  | { kind: 'ready' }
  | { kind: 'fail'; retryable: boolean; message?: string }
  /** Waits until the signal aborts, then rejects with a CancelledError. */
  | { kind: 'hang' };

export interface EchoProvisionerOptions {
  /** Decides each attempt; `attempt` counts this environment's create calls from 1. Default: ready. */
  script?: (spec: ProvisionSpec, attempt: number) => EchoOutcome;
  /** False plays an engine out of reach: ping and create fail, retryable. Default true. */
  reachable?: boolean;
}

export interface EchoProvisioner extends Provisioner {
  /** Every create call so far, in order, with its environment id. */
  readonly calls: string[];
}

/**
 * A provisioner whose environments are entries in memory: it creates nothing outside the
 * process and does what its script says, so the workers' state machine (ready, retryable and
 * final failures, cancellation) runs without Docker or libvirt. exec echoes its argv; a
 * terminal echoes its input back, and Ctrl-D (0x04) ends it.
 */
export function createEchoProvisioner(opts: EchoProvisionerOptions = {}): EchoProvisioner {
  const unreachable = () => new ProviderError('echo: engine out of reach', { retryable: true });
  const envs = new Map<string, { labels: Record<string, string> }>();
  const attempts = new Map<string, number>();
  const calls: string[] = [];
  const script: (spec: ProvisionSpec, attempt: number) => EchoOutcome = opts.script ?? (() => ({ kind: 'ready' }));

  return {
    kind: 'container',
    calls,

    async ping() {
      if (opts.reachable === false) throw unreachable();
    },

    async create(spec, progress, signal) {
      if (opts.reachable === false) throw unreachable();
      const cancelled = () => new CancelledError(`provisioning ${spec.envId} was cancelled: a destroy was requested`);
      if (signal?.aborted) throw cancelled();
      calls.push(spec.envId);
      const attempt = (attempts.get(spec.envId) ?? 0) + 1;
      attempts.set(spec.envId, attempt);
      envs.set(spec.envId, { labels: resourceLabels(spec) });
      const outcome = script(spec, attempt);
      progress(`echo: attempt ${attempt} will ${outcome.kind}`);
      if (outcome.kind === 'fail') throw new ProviderError(outcome.message ?? `echo: scripted failure of attempt ${attempt}`, { retryable: outcome.retryable });
      if (outcome.kind === 'hang') {
        await new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(cancelled()), { once: true }));
      }
      return { access: { name: `echo-${spec.envId}`, command: `echo ${spec.envId}` }, engine: 'echo' };
    },

    async inspect(envId) {
      return envs.has(envId) ? { running: true } : undefined;
    },

    async destroy(envId) {
      envs.delete(envId);
    },

    async list(): Promise<ManagedResource[]> {
      return [...envs.entries()].map(([envId, { labels }]) => {
        const instance = labels[LABELS.instance];
        return { type: 'echo', id: envId, envId, ticket: labels[LABELS.ticket] ?? '', ...(instance ? { instance } : {}) };
      });
    },

    async remove(resource) {
      envs.delete(resource.envId);
    },

    async exec(envId, command) {
      if (command.length === 0) throw new ValidationError('command: needs at least the program to run', 'command');
      if (!envs.has(envId)) throw new NotFoundError('environment', envId);
      return { exitCode: 0, stdout: `${command.join(' ')}\n`, stderr: '', truncated: false, timedOut: false };
    },

    async openTerminal(envId) {
      if (!envs.has(envId)) throw new NotFoundError('environment', envId);
      const output: Array<(chunk: Buffer) => void> = [];
      const exits: Array<(code?: number) => void> = [];
      let open = true;
      const end = (code?: number) => {
        if (!open) return;
        open = false;
        for (const listener of exits) listener(code);
      };
      return {
        write(data) {
          if (!open) return;
          const eof = data.indexOf(0x04);
          const shown = eof === -1 ? data : data.subarray(0, eof);
          if (shown.length > 0) for (const listener of output) listener(Buffer.from(shown));
          if (eof !== -1) end(0);
        },
        resize: async () => undefined,
        onData: (listener) => output.push(listener),
        onExit: (listener) => exits.push(listener),
        close: () => end(),
      };
    },
  };
}
