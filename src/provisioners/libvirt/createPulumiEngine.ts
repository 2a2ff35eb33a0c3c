/**
 * The Pulumi engine: drives the infra/ program (Pulumi.yaml at the project root) through the
 * Automation API. One stack per environment, file backend under the data dir, passphrase
 * secrets. Only this file and stackLocks.ts know about Pulumi.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { automation } from '@pulumi/pulumi';
import { ProviderError } from '../../domain/errors.js';
import type { ManagedResource, ProgressSink } from '../port.js';
import type { VmEngine } from './vmEngine.js';
import type { VmStackConfig } from './vmStackConfig.js';
import { isStale, listStackLocks, removeStaleLocks } from './stackLocks.js';

export interface PulumiEngineOptions {
  /** Folder holding Pulumi.yaml. */
  projectDir: string;
  /** File backend folder, `<dataDir>/pulumi`. */
  backendDir: string;
  /** Secrets passphrase; default: one generated once and kept (0600) in the backend folder. */
  passphrase?: string;
  /** Direct removal by name, run after `pulumi destroy` so nothing survives a stack's loss. */
  teardown(envId: string, progress: ProgressSink): Promise<void>;
}

export function createPulumiEngine(o: PulumiEngineOptions): VmEngine {
  let envVars: Promise<Record<string, string>> | undefined;
  const env = () =>
    (envVars ??= (async () => {
      await mkdir(o.backendDir, { recursive: true, mode: 0o700 });
      return {
        PULUMI_BACKEND_URL: `file://${o.backendDir}`,
        PULUMI_CONFIG_PASSPHRASE: o.passphrase ?? (await passphraseFile(o.backendDir)),
        PULUMI_SKIP_UPDATE_CHECK: 'true',
      };
    })());

  const stackFor = async (envId: string, create: boolean) => {
    const args = { stackName: envId, workDir: o.projectDir };
    const opts = { envVars: await env() };
    return create ? automation.LocalWorkspace.createOrSelectStack(args, opts) : automation.LocalWorkspace.selectStack(args, opts);
  };

  /** Runs an update; a stack left locked by a dead worker is unlocked, its pending ops dropped, and retried once. */
  const withRecovery = async (envId: string, stack: automation.Stack, op: () => Promise<unknown>, progress: ProgressSink) => {
    try {
      await op();
    } catch (err) {
      if (!(err instanceof automation.ConcurrentUpdateError)) throw wrap(err);
      await stack.cancel().catch(() => undefined); // not supported by the file backend; harmless
      const removed = await removeStaleLocks(o.backendDir, envId);
      if (removed === 0) throw new ProviderError(`stack ${envId} is being updated by another worker`, { cause: err });
      progress(`removed ${removed} stale lock(s) of stack ${envId}`);
      const state = await stack.exportStack();
      const deployment = state.deployment as { pending_operations?: unknown[] } | undefined;
      if (deployment?.pending_operations?.length) {
        deployment.pending_operations = [];
        await stack.importStack(state);
      }
      try {
        await op();
      } catch (again) {
        throw wrap(again);
      }
    }
  };

  return {
    name: 'pulumi',
    async apply(config: VmStackConfig, progress) {
      const stack = await stackFor(config.envId, true);
      const entries: Record<string, automation.ConfigValue> = {};
      for (const [key, value] of Object.entries(config)) {
        if (value === undefined) continue;
        entries[key] = { value: typeof value === 'string' ? value : JSON.stringify(value) };
      }
      await stack.setAllConfig(entries);
      await withRecovery(config.envId, stack, () => stack.up({ onOutput: lines(progress) }), progress);
    },
    async destroy(envId, progress) {
      let stack: automation.Stack | undefined;
      try {
        stack = await stackFor(envId, false);
      } catch (err) {
        if (!(err instanceof automation.StackNotFoundError)) throw wrap(err);
      }
      if (stack) {
        const s = stack;
        await withRecovery(envId, s, () => s.destroy({ onOutput: lines(progress) }), progress);
        await s.workspace.removeStack(envId);
      }
      await o.teardown(envId, progress);
    },
    async list() {
      const ws = await automation.LocalWorkspace.create({ workDir: o.projectDir, envVars: await env() });
      const stacks = await ws.listStacks();
      const found: ManagedResource[] = stacks.map((s) => ({ type: 'stack', id: s.name, envId: s.name }));
      for (const lock of await listStackLocks(o.backendDir)) {
        if (isStale(lock)) found.push({ type: 'stack-lock', id: lock.file, envId: lock.stack });
      }
      return found;
    },
    async remove(resource) {
      if (resource.type === 'stack') await this.destroy(resource.envId, () => undefined);
      if (resource.type === 'stack-lock') await removeStaleLocks(o.backendDir, resource.envId);
    },
  };
}

async function passphraseFile(dir: string): Promise<string> {
  const file = join(dir, '.passphrase');
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing) return existing.trim();
  const fresh = randomBytes(24).toString('base64url');
  // `wx`: two workers starting together keep the first one's.
  await writeFile(file, fresh, { mode: 0o600, flag: 'wx' }).catch(() => undefined);
  return (await readFile(file, 'utf8')).trim();
}

function lines(progress: ProgressSink): (out: string) => void {
  return (out) => {
    for (const line of out.split('\n')) if (line.trim()) progress(line.trimEnd());
  };
}

function wrap(err: unknown): ProviderError {
  return err instanceof ProviderError ? err : new ProviderError(`pulumi: ${(err as Error).message ?? String(err)}`, { cause: err });
}
