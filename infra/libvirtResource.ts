import * as pulumi from '@pulumi/pulumi';
import { fileURLToPath } from 'node:url';
import type { StepName } from '../src/provisioners/libvirt/steps.js';

const projectDir = fileURLToPath(new URL('..', import.meta.url));

/** How the provider host reaches our TypeScript steps: tsx + the step CLI, absolute paths. */
export const stepCommand = {
  tsx: `${projectDir}node_modules/.bin/tsx`,
  script: `${projectDir}src/provisioners/libvirt/stepCli.ts`,
};

/**
 * A dynamic provider whose create/delete run one shared libvirt step. Pulumi serialises these
 * functions into the state and runs them in its provider host, so they capture only plain
 * strings and load nothing but Node built-ins.
 */
export function stepProvider(createStep: StepName, deleteStep: StepName, cmd = stepCommand): pulumi.dynamic.ResourceProvider {
  const runStep = (step: string, inputs: unknown) => {
    // `require`: the provider host runs serialised functions as CommonJS.
    const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
    execFileSync(cmd.tsx, [cmd.script, step], { input: JSON.stringify(inputs), stdio: ['pipe', 'inherit', 'pipe'] });
  };
  return {
    async create(inputs: { name: string }) {
      runStep(createStep, inputs);
      return { id: inputs.name, outs: inputs };
    },
    async delete(_id: string, props: unknown) {
      runStep(deleteStep, props);
    },
    // Names are fixed per environment, so any change replaces, deleting first.
    async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
      const replaces = Object.keys({ ...olds, ...news }).filter(
        (k) => k !== '__provider' && JSON.stringify(olds[k]) !== JSON.stringify(news[k]),
      );
      return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
    },
  };
}

export class LibvirtVolume extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  constructor(name: string, kind: 'overlay' | 'seed', inputs: Record<string, unknown>, opts?: pulumi.CustomResourceOptions) {
    const provider = kind === 'overlay' ? stepProvider('createOverlay', 'deleteOverlay') : stepProvider('createSeed', 'deleteSeed');
    super(provider, name, inputs, opts, `repro:libvirt:${kind === 'overlay' ? 'Overlay' : 'Seed'}`);
  }
}

export class LibvirtDomain extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  constructor(name: string, inputs: Record<string, unknown>, opts?: pulumi.CustomResourceOptions) {
    super(stepProvider('createDomain', 'deleteDomain'), name, inputs, opts, 'repro:libvirt:Domain');
  }
}
