import { DockerfileParser } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';

// Diagnostics carry the language server protocol's severity, where 1 is an error (2 a warning).
const LSP_ERROR = 1;

/**
 * What a `docker build` would reject before running a step, found without an engine: syntax
 * errors (dockerfile-utils, the validator of the Docker language server), a first FROM that is
 * not the image's `base`, and COPY/ADD sources missing from the build context.
 * Returns one line per problem, `line N: …`; empty when the Dockerfile is fine.
 */
export function checkDockerfile(text: string, base: string, contextHas: (path: string) => boolean): string[] {
  const problems = validate(text)
    .filter((d) => d.severity === LSP_ERROR)
    .map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
  const dockerfile = DockerfileParser.parse(text);
  const from = dockerfile.getFROMs()[0];
  if (!from) problems.push('line 1: no FROM instruction');
  else if (from.getImage() !== base) {
    problems.push(`line ${from.getRange().start.line + 1}: FROM ${from.getImage() ?? ''} is not the image's base ${base}`);
  }
  const stages = new Set(dockerfile.getFROMs().map((f) => f.getBuildStage()).filter((s): s is string => s !== null));
  for (const copy of [...dockerfile.getCOPYs(), ...dockerfile.getInstructions().filter((i) => i.getKeyword() === 'ADD')]) {
    // COPY --from=<stage> reads another stage, not the context; ADD of a URL is fetched.
    if (copy.getArguments().some((a) => a.getValue().startsWith('--from='))) continue;
    const args = copy.getArguments().map((a) => a.getValue()).filter((v) => !v.startsWith('--'));
    for (const source of args.slice(0, -1)) {
      if (/^https?:\/\//.test(source) || stages.has(source)) continue;
      const path = source.replace(/^\.?\/+/, '').replace(/\/+$/, '');
      if (!/[*?[]/.test(path) && !contextHas(path)) {
        problems.push(`line ${copy.getRange().start.line + 1}: ${copy.getKeyword()} source ${source} is not in the build context`);
      }
    }
  }
  return problems;
}
