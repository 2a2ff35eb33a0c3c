import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestRpm {
  name: string;
  version: string;
  release: string;
}

/**
 * Builds small noarch RPMs with rpmbuild (each installs one text file) and makes a dnf/yum
 * repository of them with createrepo_c, in `dir/repo`. Both tools come from scripts/setup-images.
 */
export function makeRpmRepository(dir: string, rpms: TestRpm[]): string {
  const top = join(dir, 'rpmbuild');
  const repo = join(dir, 'repo');
  mkdirSync(repo, { recursive: true });
  for (const rpm of rpms) {
    const spec = join(dir, `${rpm.name}.spec`);
    writeFileSync(spec, [
      `Name: ${rpm.name}`, `Version: ${rpm.version}`, `Release: ${rpm.release}`,
      'Summary: repro test package', 'License: MIT', 'BuildArch: noarch',
      '%description', 'A package the rhel-family test installs.',
      '%install', `mkdir -p %{buildroot}/usr/share/${rpm.name}`, `echo ${rpm.version} > %{buildroot}/usr/share/${rpm.name}/version`,
      '%files', `/usr/share/${rpm.name}/version`, '',
    ].join('\n'));
    execFileSync('rpmbuild', ['--define', `_topdir ${top}`, '-bb', spec], { stdio: 'pipe' });
  }
  const built = join(top, 'RPMS', 'noarch');
  for (const file of readdirSync(built)) copyFileSync(join(built, file), join(repo, file));
  execFileSync('createrepo_c', [repo], { stdio: 'pipe' });
  return repo;
}
