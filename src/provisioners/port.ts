/**
 * The provider port. Adapters (docker/, libvirt/) own their clients: no dockerode or Pulumi
 * type crosses this boundary. Every operation is idempotent: creating what exists replaces
 * any partial leftover, destroying what is gone is success.
 */
import type { Access, AccessSecrets, EnvironmentKind, TicketRef } from '../domain/environment.js';
import type { CatalogImage } from '../images/catalog.js';

export interface ResourceLimits {
  cpus: number;
  memoryMb: number;
  pids: number;
  /** VM disk size; containers ignore it. */
  diskGb?: number;
}

export interface ProvisionSpec {
  envId: string;
  /** The deployment id (created once per Redis, see store/deploymentId.ts), carried as the owner
   *  label: deployments sharing an engine never reap each other's resources. */
  instance?: string;
  ticket: Pick<TicketRef, 'system' | 'id'>;
  image: CatalogImage;
  /** The exact build to start from (`repository:inputs-hash`); the image's floating tag when absent. */
  imageTag?: string;
  packages: string[];
  limits: ResourceLimits;
}

export interface ProvisionResult {
  /** The secrets are split off and sealed before anything is recorded. */
  access: Access & AccessSecrets;
  /** Recorded on the environment, e.g. the engine that applied a VM. */
  engine: string;
  /** `name → exact version` of the asked packages, from the family's package database. */
  installed?: Record<string, string>;
  /** The image the environment runs, as the engine identifies it (container image id). */
  imageRef?: { tag: string; digest: string };
  /** The package-set snapshot (its key) the environment started from instead of installing. */
  snapshot?: string;
}

/** One line of progress, streamed into the environment's events. */
export type ProgressSink = (line: string) => void;

export interface ManagedResource {
  /** Provider-specific resource type: `container`, `network`, `domain`, `volume`, `stack`… */
  type: string;
  /** Provider-specific id or name, enough to remove it. */
  id: string;
  envId: string;
  ticket?: string;
  /** From the `io.repro.instance` label (the deployment id); the reconciler only removes its own deployment's resources. */
  instance?: string;
}

export interface ExecOptions {
  timeoutMs: number;
  maxOutputBytes: number;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** True when output was cut at maxOutputBytes. */
  truncated: boolean;
  timedOut: boolean;
}

export interface TerminalSize {
  cols: number;
  rows: number;
}

/** An interactive login shell on a TTY; bytes only, so no engine or SSH type leaks out. */
export interface TerminalSession {
  write(data: Buffer): void;
  resize(size: TerminalSize): Promise<void>;
  /** Output of the TTY (stdout and stderr are one stream on a terminal). */
  onData(listener: (chunk: Buffer) => void): void;
  /** Called once when the shell ends or the connection to it drops; `exitCode` when known. */
  onExit(listener: (exitCode?: number) => void): void;
  /** Ends the shell's connection; onExit listeners still run. */
  close(): void;
}

export interface Provisioner {
  readonly kind: EnvironmentKind;
  /** Throws when the provider cannot be reached (used by /readyz). */
  ping(): Promise<void>;
  /**
   * Makes the environment ready. When `signal` aborts (a destroy was asked meanwhile) the running
   * step is stopped promptly and create rejects with a CancelledError; what exists is left for
   * destroy(), which the caller runs next.
   */
  create(spec: ProvisionSpec, progress: ProgressSink, signal?: AbortSignal): Promise<ProvisionResult>;
  /** undefined when nothing of the environment exists. */
  inspect(envId: string): Promise<{ running: boolean } | undefined>;
  destroy(envId: string): Promise<void>;
  /** Everything carrying our labels/metadata on this host. */
  list(): Promise<ManagedResource[]>;
  /** Removes one listed resource (the reconciler's orphan path). */
  remove(resource: ManagedResource): Promise<void>;
  exec(envId: string, command: string[], opts: ExecOptions): Promise<ExecResult>;
  /** A login shell on a TTY in a running environment (`bash -l`, else `sh -l`). */
  openTerminal(envId: string, size: TerminalSize): Promise<TerminalSession>;
  /** Releases what the adapter holds open (forwarders, clients); resources it created stay. */
  close?(): Promise<void>;
}

/** Labels carried by everything repro creates, so the reconciler can find orphans. */
export const LABELS = {
  managed: 'io.repro.managed',
  environment: 'io.repro.environment',
  ticket: 'io.repro.ticket',
  instance: 'io.repro.instance',
} as const;

export function resourceLabels(spec: Pick<ProvisionSpec, 'envId' | 'ticket' | 'instance'>): Record<string, string> {
  return {
    [LABELS.managed]: 'true',
    [LABELS.environment]: spec.envId,
    [LABELS.ticket]: `${spec.ticket.system}:${spec.ticket.id}`,
    ...(spec.instance ? { [LABELS.instance]: spec.instance } : {}),
  };
}
