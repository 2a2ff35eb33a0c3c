import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError } from '../../src/errors.js';
import type { ProvisionSpec, Provisioner } from '../../src/provisioners/port.js';

export interface ContractSubject {
  provisioner: Provisioner;
  /** A spec that becomes ready. */
  quick(envId: string): ProvisionSpec;
  /** A spec whose create has a step that runs (nearly) forever, to be cancelled. */
  slow(envId: string): ProvisionSpec;
  /** True for the progress line that says the slow step is running. */
  slowStepStarted(line: string): boolean;
  /** Removes what the subject made for the suite (images…). */
  close?(): Promise<void>;
}

/**
 * What every provisioner must do, whatever it drives: create → inspect → exec → destroy,
 * destroying what is gone is success, and a create whose signal aborts stops its running step
 * and rejects with CancelledError, after which destroy leaves nothing.
 */
export function describeProvisionerContract(name: string, setup: () => Promise<ContractSubject>): void {
  describe(`provisioner contract: ${name}`, () => {
    let s: ContractSubject;
    const made: string[] = [];
    const newId = () => {
      const id = `env-ct${randomBytes(4).toString('hex')}`;
      made.push(id);
      return id;
    };

    beforeAll(async () => {
      s = await setup();
    });
    afterAll(async () => {
      for (const id of made) await s?.provisioner.destroy(id).catch(() => undefined);
      await s?.close?.();
    });

    it('creates, inspects, runs a command, destroys; destroying again is success', async () => {
      const envId = newId();
      const result = await s.provisioner.create(s.quick(envId), () => undefined);
      expect(result.access.name).toBeTruthy();
      expect(await s.provisioner.inspect(envId)).toEqual({ running: true });
      const out = await s.provisioner.exec(envId, ['echo', 'contract'], { timeoutMs: 10_000, maxOutputBytes: 4096 });
      expect(out).toMatchObject({ exitCode: 0, timedOut: false });
      expect(out.stdout).toContain('contract');
      await s.provisioner.destroy(envId);
      expect(await s.provisioner.inspect(envId)).toBeUndefined();
      await s.provisioner.destroy(envId);
    });

    it('cancels a running create when its signal aborts; destroy then leaves nothing', async () => {
      const envId = newId();
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

    it('a create whose signal has already aborted runs nothing more and is cancelled', async () => {
      const envId = newId();
      const abort = new AbortController();
      abort.abort();
      await expect(s.provisioner.create(s.slow(envId), () => undefined, abort.signal)).rejects.toBeInstanceOf(CancelledError);
      await s.provisioner.destroy(envId);
      expect(await s.provisioner.inspect(envId)).toBeUndefined();
    });
  });
}
