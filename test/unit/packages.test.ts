import { describe, expect, it } from 'vitest';
import { packageArgument, parsePackage, validatePackages } from '../../src/domain/packages.js';
import { ValidationError } from '../../src/errors.js';

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
