import { describe, expect, it } from 'vitest';
import { findReproLine, parseReproCommand } from '../../../src/tickets/reproCommand.js';
import { testCatalog } from '../../support/ticketTestKit.js';

const parse = (args: string) => parseReproCommand(args, testCatalog());

describe('/repro grammar', () => {
  it('finds the first line that starts with /repro', () => {
    expect(findReproLine('hello\n  /repro debian-12 +nginx\n/repro rocky-9')).toBe('debian-12 +nginx');
    expect(findReproLine('see `/repro debian-12` in the docs')).toBeUndefined();
    expect(findReproLine('/reproduce this')).toBeUndefined();
  });

  it('parses image, packages, kind and ttl', () => {
    expect(parse('debian-12 +nginx +php8.2 --vm --ttl 2d')).toEqual({ image: 'debian-12', kind: 'vm', packages: ['nginx', 'php8.2'], ttl: '2d' });
    expect(parse('rocky-9 +httpd=2.4.57')).toEqual({ image: 'rocky-9', kind: 'container', packages: ['httpd=2.4.57'] });
    expect(parse('debian-12 --ttl=PT8H').ttl).toBe('PT8H');
    expect(parse('debian-12 +curl --new')).toEqual({ image: 'debian-12', kind: 'container', packages: ['curl'], additional: true });
    expect(parse('debian-12').additional).toBeUndefined();
  });

  it('follows the image family\'s package rules: RPM names and name-version for rhel, Debian policy for debian', () => {
    expect(parse('rocky-9 +NetworkManager +nginx-1:1.20.1-14.el9').packages).toEqual(['NetworkManager', 'nginx-1:1.20.1-14.el9']);
    expect(() => parse('debian-12 +NetworkManager')).toThrow(/"NetworkManager" is not a valid debian package; use name or name=version/);
    expect(() => parse('rocky-9 +nginx-1:2:3')).toThrow(/not a valid rhel package; use name or name-version/);
  });

  it.each([
    ['debian-12 +nginx; rm -rf /', '";"'],
    ['debian-12 +nginx$(id)', '"$"'],
    ['debian-12 `id`', '"`"'],
    ['debian-12 +a|b', '"|"'],
    ['debian-12 > /etc/passwd', '">"'],
  ])('refuses shell metacharacters: %s', (line, shown) => {
    expect(() => parse(line)).toThrow(shown);
  });

  it('refuses unknown flags, a missing ttl, two images, bad packages', () => {
    expect(() => parse('debian-12 --privileged')).toThrow('unknown option "--privileged"');
    expect(() => parse('debian-12 --ttl')).toThrow('--ttl needs a duration');
    expect(() => parse('debian-12 --ttl forever')).toThrow('is not a duration');
    expect(() => parse('debian-12 rocky-9')).toThrow('"rocky-9" is not understood');
    expect(() => parse('debian-12 +Nginx')).toThrow('not a valid debian package');
    expect(() => parse('debian-12 --vm --container')).toThrow('either --vm or --container');
  });

  it('names the images that exist when the image is unknown or missing', () => {
    expect(() => parse('ubuntu-24.04 +nginx')).toThrow('unknown image "ubuntu-24.04"; available images: debian-12, rocky-9');
    expect(() => parse('+nginx')).toThrow('available images: debian-12, rocky-9');
  });

  it('bounds the line length', () => {
    expect(() => parse(`debian-12 ${'+a1 '.repeat(200)}`)).toThrow('longer than');
  });
});
