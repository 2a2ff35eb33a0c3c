import { packageArgument } from '../domain/packages.js';
import type { CatalogImage } from './catalog.js';
import type { Mirrors } from './buildOptions.js';

/**
 * Build arguments of a catalog image: the family's mirrors (names the family's Dockerfiles
 * declare) and REPRO_PACKAGES, the default packages as the package manager takes them.
 */
export function buildArgs(image: Pick<CatalogImage, 'family' | 'packages'>, mirrors: Mirrors): Record<string, string> {
  const packages = (image.packages ?? []).map((p) => packageArgument(p, image.family)).join(' ');
  const family: Record<string, string> =
    image.family === 'debian'
      ? { DEBIAN_MIRROR: mirrors.debian, DEBIAN_SECURITY_MIRROR: mirrors.debianSecurity }
      : image.family === 'ubuntu'
        ? { UBUNTU_MIRROR: mirrors.ubuntu, UBUNTU_SECURITY_MIRROR: mirrors.ubuntuSecurity }
        : {};
  return { ...family, REPRO_PACKAGES: packages };
}
