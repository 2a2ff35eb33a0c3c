/** Deterministic libvirt names for one environment: destroy and list need nothing but the id. */
export const NAME_PREFIX = 'repro-';

export interface VmNames {
  domain: string;
  overlay: string;
  seed: string;
}

export function vmNames(envId: string): VmNames {
  return {
    domain: `${NAME_PREFIX}${envId}`,
    overlay: `${NAME_PREFIX}${envId}-disk.qcow2`,
    seed: `${NAME_PREFIX}${envId}-seed.iso`,
  };
}

/** The environment id a volume name of ours carries, or undefined when it is not ours. */
export function envIdOfVolume(volume: string): string | undefined {
  const m = /^repro-(.+)-(disk\.qcow2|seed\.iso)$/.exec(volume);
  return m?.[1];
}
