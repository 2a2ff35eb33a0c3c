import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError, NotFoundError, ReproError } from '../../src/domain/errors.js';
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
  /** A spec the engine refuses for good (a missing image, an image of the other kind). */
  refused(envId: string): ProvisionSpec;
  /** The same kind of provisioner with its engine out of reach: another attempt may succeed later. */
  unreachable(): Provisioner;
}

/** A VM's boot and cloud-init under TCG, on a loaded host, take minutes. */
const SLOW_CREATE_MS = 15 * 60_000;

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
 * What every provisioner must do, whatever it drives: create → list by labels → inspect → exec →
 * terminal → destroy, destroying what is gone is success, failures classed final or retryable,
 * and cancellation (below).
 */
export function describeProvisionerContract(name: string, setup: () => Promise<ContractSubject>): void {
  describe(`provisioner contract: ${name}`, () => {
    const subject = suiteSubject(setup);

    // One environment for the whole lifecycle: a VM takes minutes to boot under TCG.
    it('creates, lists by labels, inspects, runs a command, opens a terminal, destroys; destroying again is success', async () => {
      const { provisioner, quick } = subject.get();
      const envId = subject.newId();
      const instance = `ct-${envId}`;
      const result = await provisioner.create({ ...quick(envId), instance }, () => undefined);
      expect(result.access.name).toBeTruthy();
      expect(await provisioner.inspect(envId)).toEqual({ running: true });
      const listed = (await provisioner.list()).filter((r) => r.envId === envId);
      expect(listed.length).toBeGreaterThan(0);
      for (const r of listed) expect(r).toMatchObject({ envId, instance });
      expect(listed.map((r) => r.ticket)).toContain('generic:CONTRACT');

      const out = await provisioner.exec(envId, ['echo', 'contract'], { timeoutMs: 10_000, maxOutputBytes: 4096 });
      expect(out).toMatchObject({ exitCode: 0, timedOut: false });
      expect(out.stdout).toContain('contract');

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

      await provisioner.destroy(envId);
      expect(await provisioner.inspect(envId)).toBeUndefined();
      expect((await provisioner.list()).filter((r) => r.envId === envId)).toEqual([]);
      await provisioner.destroy(envId);
      await expect(provisioner.openTerminal(envId, { cols: 80, rows: 24 })).rejects.toBeInstanceOf(NotFoundError);
    }, SLOW_CREATE_MS);

    it('classes failures: a refused create is final, an unreachable engine is retryable; neither leaves anything', async () => {
      const { provisioner, refused, unreachable } = subject.get();
      const envId = subject.newId();
      const final = await provisioner.create(refused(envId), () => undefined).then(() => undefined, (err: unknown) => err);
      expect(final).toBeInstanceOf(ReproError);
      expect((final as ReproError).retryable).toBe(false);
      await provisioner.destroy(envId);
      expect(await provisioner.inspect(envId)).toBeUndefined();

      const away = unreachable();
      try {
        await expect(away.ping()).rejects.toThrow();
        const transient = await away.create(subject.get().quick(subject.newId()), () => undefined).then(() => undefined, (err: unknown) => err);
        expect(transient).toBeInstanceOf(ReproError);
        expect((transient as ReproError).retryable).toBe(true);
      } finally {
        await away.close?.();
      }
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
  }, SLOW_CREATE_MS);

  it('a create whose signal has already aborted runs nothing and is cancelled', async () => {
    const s = subject.get();
    const envId = subject.newId();
    const abort = new AbortController();
    abort.abort();
    await expect(s.provisioner.create(s.slow(envId), () => undefined, abort.signal)).rejects.toBeInstanceOf(CancelledError);
    expect(await s.provisioner.inspect(envId)).toBeUndefined();
  });
}
