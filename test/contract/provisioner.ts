import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError, NotFoundError } from '../../src/domain/errors.js';
import type { ProvisionSpec, Provisioner } from '../../src/provisioners/port.js';

export interface CancellationSubject {
  provisioner: Provisioner;
  /** A spec whose create has a step that runs long (or forever), to be cancelled. */
  slow(envId: string): ProvisionSpec;
  /** True for the progress line that says the slow step is running. */
  slowStepStarted(line: string): boolean;
  /** Removes what the subject made for the suite (images…). */
  close?(): Promise<void>;
}

export interface ContractSubject extends CancellationSubject {
  /** A spec that becomes ready. */
  quick(envId: string): ProvisionSpec;
}

/** Per suite: the subject, and env ids to destroy after it. */
function suiteSubject<S extends CancellationSubject>(setup: () => Promise<S>) {
  const state: { s?: S; made: string[] } = { made: [] };
  beforeAll(async () => {
    state.s = await setup();
  });
  afterAll(async () => {
    for (const id of state.made) await state.s?.provisioner.destroy(id).catch(() => undefined);
    await state.s?.close?.();
  });
  return {
    get: () => state.s!,
    newId: () => {
      const id = `env-ct${randomBytes(4).toString('hex')}`;
      state.made.push(id);
      return id;
    },
  };
}

/**
 * What every provisioner must do, whatever it drives: create → inspect → exec → destroy,
 * destroying what is gone is success, and cancellation (below).
 */
export function describeProvisionerContract(name: string, setup: () => Promise<ContractSubject>): void {
  describe(`provisioner contract: ${name}`, () => {
    const subject = suiteSubject(setup);

    it('creates, inspects, runs a command, destroys; destroying again is success', async () => {
      const { provisioner, quick } = subject.get();
      const envId = subject.newId();
      const result = await provisioner.create(quick(envId), () => undefined);
      expect(result.access.name).toBeTruthy();
      expect(await provisioner.inspect(envId)).toEqual({ running: true });
      const out = await provisioner.exec(envId, ['echo', 'contract'], { timeoutMs: 10_000, maxOutputBytes: 4096 });
      expect(out).toMatchObject({ exitCode: 0, timedOut: false });
      expect(out.stdout).toContain('contract');
      await provisioner.destroy(envId);
      expect(await provisioner.inspect(envId)).toBeUndefined();
      await provisioner.destroy(envId);
    });

    it('opens a terminal: input reaches it, output comes back, close ends it; a missing environment is not found', async () => {
      const { provisioner, quick } = subject.get();
      const envId = subject.newId();
      await provisioner.create(quick(envId), () => undefined);
      try {
        const session = await provisioner.openTerminal(envId, { cols: 80, rows: 24 });
        let output = '';
        session.onData((chunk) => { output += chunk.toString('utf8'); });
        const exited = new Promise<void>((resolve) => session.onExit(() => resolve()));
        await session.resize({ cols: 100, rows: 30 });
        session.write(Buffer.from('echo terminal-contract\r'));
        for (const deadline = Date.now() + 15_000; !output.includes('terminal-contract') && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 50));
        expect(output).toContain('terminal-contract');
        session.close();
        await exited;
      } finally {
        await provisioner.destroy(envId);
      }
      await expect(provisioner.openTerminal(envId, { cols: 80, rows: 24 })).rejects.toBeInstanceOf(NotFoundError);
    });

    cancellationCases(subject);
  });
}

/** The cancellation part alone, for a provisioner whose full lifecycle another suite already runs. */
export function describeCancellationContract(name: string, setup: () => Promise<CancellationSubject>): void {
  describe(`provisioner contract, cancellation: ${name}`, () => {
    cancellationCases(suiteSubject(setup));
  });
}

/** A create whose signal aborts stops its running step and rejects with CancelledError; destroy then leaves nothing. */
function cancellationCases(subject: { get(): CancellationSubject; newId(): string }): void {
  it('cancels a running create when its signal aborts; destroy then leaves nothing', async () => {
    const s = subject.get();
    const envId = subject.newId();
    const abort = new AbortController();
    let started!: () => void;
    const running = new Promise<void>((r) => { started = r; });
    const create = s.provisioner.create(s.slow(envId), (line) => { if (s.slowStepStarted(line)) started(); }, abort.signal);
    await Promise.race([running, create.then(() => { throw new Error('the slow create finished'); })]);
    abort.abort();
    await expect(create).rejects.toBeInstanceOf(CancelledError);
    await s.provisioner.destroy(envId);
    expect(await s.provisioner.inspect(envId)).toBeUndefined();
  });

  it('a create whose signal has already aborted runs nothing and is cancelled', async () => {
    const s = subject.get();
    const envId = subject.newId();
    const abort = new AbortController();
    abort.abort();
    await expect(s.provisioner.create(s.slow(envId), () => undefined, abort.signal)).rejects.toBeInstanceOf(CancelledError);
    expect(await s.provisioner.inspect(envId)).toBeUndefined();
  });
}
