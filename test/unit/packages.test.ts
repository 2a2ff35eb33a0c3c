import { describe, expect, it } from 'vitest';
import { installedQuery, packageArgument, parseInstalled, parsePackage, validatePackages } from '../../src/domain/packages.js';
import { ValidationError } from '../../src/domain/errors.js';

describe('package names', () => {
  it.each(['curl', 'php8.2', 'libc6', 'g++', 'python3-cffi-backend', 'nginx=1.22.1-9', 'openssl=3.0.11-1~deb12u2', 'apt=1:2.6.1'])('accepts debian %s', (name) => {
    expect(() => parsePackage(name, 'debian')).not.toThrow();
  });

  it.each([
    'nginx; rm -rf /', '../x', 'x'.repeat(300), '', 'Nginx', 'a', '-rf', 'curl=', 'curl=abc', 'a=b=c', '$(reboot)', 'curl\nwget', 'curl wget',
  ])('rejects debian %j with a ValidationError naming the field', (name) => {
    expect(() => parsePackage(name, 'debian', 'packages[0]')).toThrow(ValidationError);
    try {
      parsePackage(name, 'debian', 'packages[0]');
    } catch (err) {
      expect((err as ValidationError).field).toBe('packages[0]');
    }
  });

  it('applies rpm rules for the rhel family', () => {
    expect(() => parsePackage('NetworkManager', 'rhel')).not.toThrow();
    expect(() => parsePackage('perl_x', 'rhel')).not.toThrow();
    expect(() => parsePackage('NetworkManager', 'debian')).toThrow(ValidationError);
    expect(() => parsePackage('x;y', 'rhel')).toThrow(ValidationError);
  });

  it('names the index of the bad entry and drops duplicates', () => {
    expect(validatePackages(['curl', 'curl', 'vim'], 'debian')).toEqual(['curl', 'vim']);
    expect(() => validatePackages(['curl', 'bad name'], 'debian')).toThrow(/packages\[1\]/);
  });

  it('pins versions the way each package manager expects', () => {
    expect(packageArgument('nginx=1.22.1-9', 'debian')).toBe('nginx=1.22.1-9');
    expect(packageArgument('nginx=1.20.1', 'rhel')).toBe('nginx-1.20.1');
    expect(packageArgument('curl', 'rhel')).toBe('curl');
  });
});

describe('package rules per family', () => {
  it('ubuntu follows Debian policy names and =version', () => {
    expect(parsePackage('nginx=1.18.0-6ubuntu14', 'ubuntu')).toEqual({ name: 'nginx', version: '1.18.0-6ubuntu14' });
    expect(() => parsePackage('NetworkManager', 'ubuntu')).toThrow(/not a valid ubuntu package; use name or name=version/);
    expect(packageArgument('nginx=1.18.0-6ubuntu14', 'ubuntu')).toBe('nginx=1.18.0-6ubuntu14');
  });

  it.each(['nginx-1.20.1', 'nginx-1.20.1-14.el9', 'nginx-1:1.20.1-14.el9', 'python3-libs', 'kernel-devel-5.14.0'])('rhel takes the dnf/yum spec %s as one word', (spec) => {
    expect(parsePackage(spec, 'rhel')).toEqual({ name: spec });
    expect(packageArgument(spec, 'rhel')).toBe(spec);
  });

  it.each(['nginx-1:2:3', 'a=:2', 'a-1:2=3', 'nginx=', '-x', 'nginx 1.2', 'x$(id)'])('rhel rejects %j naming the field', (spec) => {
    expect(() => parsePackage(spec, 'rhel', 'packages[2]')).toThrow(/packages\[2\].*not a valid rhel package; use name or name-version/);
  });

  it('asks the family database for exact versions: dpkg-query for apt, rpm for dnf and yum', () => {
    expect(installedQuery('apt', ['curl', 'nginx=1.22.1-9'])).toEqual(['dpkg-query', '-W', '-f', '${db:Status-Abbrev} ${Package} ${Version}\\n', 'curl', 'nginx']);
    for (const manager of ['dnf', 'yum'] as const) {
      expect(installedQuery(manager, ['nginx-1.20.1', 'curl=7.76'])).toEqual(['rpm', '-q', '--qf', 'ii %{NAME} %|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\n', 'nginx-1.20.1', 'curl-7.76']);
    }
  });

  it('reads installed versions, leaving out packages dpkg knows but has removed', () => {
    expect(parseInstalled('ii  curl 7.88.1-10+deb12u5\nrc  nginx 1.22.1-9\nii  apt 2.6.1\n')).toEqual({ curl: '7.88.1-10+deb12u5', apt: '2.6.1' });
    expect(parseInstalled('ii repro-hello 1.2-3\nii bash 1:5.1.8-6.el9\n')).toEqual({ 'repro-hello': '1.2-3', bash: '1:5.1.8-6.el9' });
  });
});
