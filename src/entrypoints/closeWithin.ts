export interface CloseStep {
  /** Named in the outcome when it failed or had not finished by the deadline. */
  name: string;
  close(): Promise<unknown>;
}

export interface CloseOutcome {
  /** Steps not finished by the deadline: the one under way and those not started. */
  pending: string[];
  failed: Array<{ name: string; error: unknown }>;
}

/**
 * Closes the steps one after another, waiting at most `timeoutMs` in all: a held connection or a
 * job that never ends must not keep a stopping process alive. A step that throws is recorded and
 * the next one still runs.
 */
export async function closeWithin(steps: CloseStep[], timeoutMs: number): Promise<CloseOutcome> {
  const pending = new Set(steps.map((s) => s.name));
  const failed: CloseOutcome['failed'] = [];
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  const closing = (async () => {
    for (const step of steps) {
      try {
        await step.close();
      } catch (error) {
        failed.push({ name: step.name, error });
      }
      pending.delete(step.name);
    }
  })();
  await Promise.race([closing, deadline]);
  clearTimeout(timer);
  return { pending: [...pending], failed: [...failed] };
}
