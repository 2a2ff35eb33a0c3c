/**
 * `tsx stepCli.ts <step>` with the step's JSON inputs on stdin. The Pulumi dynamic providers
 * run in Pulumi's own provider host, where our TypeScript modules cannot be imported, so
 * they call the shared steps through this entry point.
 */
import { isStepName, steps } from './steps.js';

async function main(): Promise<void> {
  const step = process.argv[2] ?? '';
  if (!isStepName(step)) throw new Error(`unknown step "${step}"`);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  await steps[step](JSON.parse(Buffer.concat(chunks).toString('utf8')));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
