import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/loadConfig.js';
import { ConfigError } from '../../src/domain/errors.js';

describe('loadConfig', () => {
  it('has working defaults', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(c.redisPrefix).toBe('repro');
    expect(c.ttl).toEqual({ defaultSeconds: 4 * 3600, maxSeconds: 7 * 86400 });
    expect(c.limits).toEqual({ cpus: 1, memoryMb: 1024, pids: 512 });
    expect(c.roles).toEqual(['api', 'worker']);
    expect(c.hostId).toMatch(/^[A-Za-z0-9_.-]+$/);
    expect(c.redisCommandTimeoutMs).toBe(1000);
    expect(c.eventStreamsPerToken).toBe(10);
  });

  it('reads the Redis command timeout and the event stream cap from the environment', () => {
    const c = loadConfig({ REPRO_REDIS_COMMAND_TIMEOUT_MS: '2500', REPRO_EVENT_STREAMS_PER_TOKEN: '3' });
    expect(c.redisCommandTimeoutMs).toBe(2500);
    expect(c.eventStreamsPerToken).toBe(3);
  });

  it('reads the environment over the YAML file, keeping the file\'s other nested keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'repro-config-'));
    const file = join(dir, 'repro.yaml');
    writeFileSync(file, 'port: 4000\nlimits:\n  cpus: 2\n  memoryMb: 2048\n  pids: 256\nttl:\n  default: 1h\n  max: 2d\n');
    const c = loadConfig({ REPRO_CONFIG: file, REPRO_LIMIT_MEMORY_MB: '512', REPRO_REDIS_PREFIX: 'x1' });
    expect(c.port).toBe(4000);
    expect(c.limits).toEqual({ cpus: 2, memoryMb: 512, pids: 256 });
    expect(c.ttl).toEqual({ defaultSeconds: 3600, maxSeconds: 172800 });
    expect(c.redisPrefix).toBe('x1');
  });

  it.each([
    [{ PORT: 'abc' }, /PORT="abc" is not an integer/],
    [{ PORT: '70000' }, /port \(PORT\)/],
    [{ REDIS_URL: 'localhost:6379' }, /redisUrl \(REDIS_URL\)/],
    [{ REPRO_TTL_DEFAULT: 'forever' }, /ttl.default/],
    [{ REPRO_TTL_DEFAULT: '9d' }, /ttl.default is above ttl.max/],
    [{ REPRO_REDIS_PREFIX: 'a b' }, /redisPrefix \(REPRO_REDIS_PREFIX\)/],
    [{ REPRO_ADMIN_TOKEN: 'short' }, /adminToken \(REPRO_ADMIN_TOKEN\)/],
    [{ REPRO_CONFIG: '/nonexistent/repro.yaml' }, /cannot read/],
    [{ REPRO_REDIS_COMMAND_TIMEOUT_MS: '10' }, /redisCommandTimeoutMs \(REPRO_REDIS_COMMAND_TIMEOUT_MS\)/],
    [{ REPRO_EVENT_STREAMS_PER_TOKEN: '0' }, /eventStreamsPerToken \(REPRO_EVENT_STREAMS_PER_TOKEN\)/],
  ])('fails fast naming the bad setting: %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('reads quotas from the file and the environment, each defaulting on its own', () => {
    const dir = mkdtempSync(join(tmpdir(), 'repro-config-'));
    const file = join(dir, 'repro.yaml');
    writeFileSync(file, 'quotas:\n  overall: 50\n');
    const c = loadConfig({ REPRO_CONFIG: file, REPRO_QUOTA_VM_PER_REQUESTER: '1' });
    expect(c.quotas).toEqual({ perRequester: 10, perTicket: 5, overall: 50, vmPerRequester: 1, vmOverall: 20 });
    expect(loadConfig({}).quotas).toEqual({ perRequester: 10, perTicket: 5, overall: 200, vmPerRequester: 2, vmOverall: 20 });
    expect(loadConfig({ REPRO_SECRETS_KEY: 'a'.repeat(64) }).secretsKey).toBe('a'.repeat(64));
  });

  it.each([
    [{ REPRO_QUOTA_PER_TICKET: '-1' }, /quotas.perTicket \(REPRO_QUOTA_PER_TICKET\)/],
    [{ REPRO_QUOTA_OVERALL: 'many' }, /REPRO_QUOTA_OVERALL="many" is not an integer/],
    [{ REPRO_SECRETS_KEY: 'short' }, /secretsKey \(REPRO_SECRETS_KEY\)/],
  ])('fails fast on a bad quota or secrets key: %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('reads the webhook window and the rate limits, as durations turned into seconds and milliseconds', () => {
    expect(loadConfig({}).webhooks).toEqual({ maxSkewSeconds: 300 });
    expect(loadConfig({}).rateLimit).toEqual({ publicMax: 600, publicWindowMs: 60_000, failedAuthMax: 20, failedAuthWindowMs: 60_000 });
    const dir = mkdtempSync(join(tmpdir(), 'repro-config-'));
    const file = join(dir, 'repro.yaml');
    writeFileSync(file, 'webhooks:\n  maxSkew: 15m\nrateLimit:\n  publicMax: 100\n');
    const c = loadConfig({ REPRO_CONFIG: file, REPRO_RATE_LIMIT_FAILED_AUTH_WINDOW: 'PT5M' });
    expect(c.webhooks.maxSkewSeconds).toBe(900);
    expect(c.rateLimit).toEqual({ publicMax: 100, publicWindowMs: 60_000, failedAuthMax: 20, failedAuthWindowMs: 300_000 });
    expect(loadConfig({ REPRO_WEBHOOK_MAX_SKEW: '30s' }).webhooks.maxSkewSeconds).toBe(30);
  });

  it('reads the trusted proxies as a list', () => {
    expect(loadConfig({}).trustProxy).toEqual([]);
    expect(loadConfig({ REPRO_TRUST_PROXY: '10.0.0.5, 192.168.0.0/16,::1,loopback' }).trustProxy).toEqual(['10.0.0.5', '192.168.0.0/16', '::1', 'loopback']);
  });

  it.each([
    [{ REPRO_TRUST_PROXY: 'proxy.example.org' }, /trustProxy \(REPRO_TRUST_PROXY\): "proxy.example.org"/],
    [{ REPRO_TRUST_PROXY: '10.0.0.0/33' }, /"10.0.0.0\/33"/],
    [{ REPRO_WEBHOOK_MAX_SKEW: 'soon' }, /webhooks.maxSkew/],
    [{ REPRO_RATE_LIMIT_PUBLIC_MAX: '0' }, /rateLimit.publicMax \(REPRO_RATE_LIMIT_PUBLIC_MAX\)/],
    [{ REPRO_RATE_LIMIT_FAILED_AUTH_WINDOW: '0s' }, /rateLimit.failedAuthWindow/],
  ])('fails fast on a bad webhook window or rate limit: %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('reads the image settings: mirrors per family, kept builds, pre-warm list and registry', () => {
    expect(loadConfig({}).images).toEqual({ keepBuilds: 3, prewarm: [] });
    expect(loadConfig({}).ubuntuMirror).toBe('http://archive.ubuntu.com/ubuntu');
    const c = loadConfig({
      REPRO_UBUNTU_MIRROR: 'http://mirror.example/ubuntu', REPRO_IMAGE_KEEP_BUILDS: '5', REPRO_IMAGE_PREWARM: 'debian-12, rocky-9',
      REPRO_IMAGE_REGISTRY: 'registry.example:5000', REPRO_IMAGE_REGISTRY_USERNAME: 'repro', REPRO_IMAGE_REGISTRY_PASSWORD: 'not-a-real-secret',
    });
    expect(c.ubuntuMirror).toBe('http://mirror.example/ubuntu');
    expect(c.images).toEqual({ keepBuilds: 5, prewarm: ['debian-12', 'rocky-9'], registry: { url: 'registry.example:5000', username: 'repro', password: 'not-a-real-secret' } });
  });

  it.each([
    [{ REPRO_IMAGE_REGISTRY: 'https://registry.example' }, /images.registry.url \(REPRO_IMAGE_REGISTRY\)/],
    [{ REPRO_IMAGE_KEEP_BUILDS: '0' }, /images.keepBuilds \(REPRO_IMAGE_KEEP_BUILDS\)/],
    [{ REPRO_IMAGE_PREWARM: 'Debian 12' }, /images.prewarm/],
    [{ REPRO_UBUNTU_MIRROR: 'ftp://x' }, /ubuntuMirror \(REPRO_UBUNTU_MIRROR\)/],
  ])('fails fast on a bad image setting: %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('reads the terminal limits, each defaulting on its own, and rejects a bad one naming it', () => {
    expect(loadConfig({}).terminal).toEqual({ idleTimeoutMs: 900000, maxDurationMs: 14400000, transcriptMaxBytes: 1048576, attachMaxBytes: 32768 });
    const c = loadConfig({ REPRO_TERMINAL_IDLE_TIMEOUT_MS: '60000', REPRO_TERMINAL_ATTACH_MAX_BYTES: '4096' });
    expect(c.terminal).toEqual({ idleTimeoutMs: 60000, maxDurationMs: 14400000, transcriptMaxBytes: 1048576, attachMaxBytes: 4096 });
    expect(() => loadConfig({ REPRO_TERMINAL_TRANSCRIPT_MAX_BYTES: '10' })).toThrow(/terminal.transcriptMaxBytes \(REPRO_TERMINAL_TRANSCRIPT_MAX_BYTES\)/);
    expect(() => loadConfig({ REPRO_TERMINAL_MAX_DURATION_MS: 'long' })).toThrow(/REPRO_TERMINAL_MAX_DURATION_MS="long" is not an integer/);
  });

  it('reads the package cache and the snapshot budget', () => {
    expect(loadConfig({}).packageCache).toEqual({ url: 'http://172.17.0.1:3142' });
    expect(loadConfig({}).snapshots).toEqual({ maxCount: 20, maxGb: 20 });
    expect(loadConfig({ REPRO_PACKAGE_CACHE_URL: 'off' }).packageCache.url).toBe('off');
    expect(loadConfig({ REPRO_PACKAGE_CACHE_URL: 'http://10.9.0.1:8000' }).packageCache.url).toBe('http://10.9.0.1:8000');
    expect(loadConfig({ REPRO_SNAPSHOTS_MAX_COUNT: '0', REPRO_SNAPSHOTS_MAX_GB: '2.5' }).snapshots).toEqual({ maxCount: 0, maxGb: 2.5 });
  });

  it.each([
    [{ REPRO_PACKAGE_CACHE_URL: 'https://cache.example.org' }, /packageCache.url \(REPRO_PACKAGE_CACHE_URL\)/],
    [{ REPRO_PACKAGE_CACHE_URL: 'http://0.0.0.0' }, /packageCache.url/],
    [{ REPRO_SNAPSHOTS_MAX_COUNT: '-1' }, /snapshots.maxCount \(REPRO_SNAPSHOTS_MAX_COUNT\)/],
  ])('fails fast on a bad package cache or snapshot budget: %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  const oidc = { REPRO_PUBLIC_URL: 'https://repro.example.fr', REPRO_OIDC_ISSUER: 'https://sso.example.fr/realms/desk', REPRO_OIDC_CLIENT_ID: 'repro', REPRO_OIDC_ROLE_MAP: 'repro-users=requester, repro-admins=admin' };

  it('reads single sign-on settings, with defaults for scopes, claim and session length', () => {
    const c = loadConfig(oidc);
    expect(c.oidc).toEqual({
      issuer: 'https://sso.example.fr/realms/desk', clientId: 'repro', scopes: 'openid profile email', roleClaim: 'groups',
      roleMap: { 'repro-users': 'requester', 'repro-admins': 'admin' }, sessionTtlSeconds: 8 * 3600,
    });
    expect(loadConfig({}).oidc).toBeUndefined();
  });

  it.each([
    [{ ...oidc, REPRO_OIDC_ISSUER: 'http://sso.example.fr' }, /oidc.issuer \(REPRO_OIDC_ISSUER\) must be https/],
    [{ ...oidc, REPRO_OIDC_ROLE_MAP: 'repro-users=root' }, /oidc.roleMap/],
    [{ ...oidc, REPRO_OIDC_ROLE_MAP: 'repro-users' }, /REPRO_OIDC_ROLE_MAP must read key=value/],
    [{ ...oidc, REPRO_OIDC_SCOPES: 'profile email' }, /oidc.scopes must include openid/],
    [{ ...oidc, REPRO_OIDC_SESSION_TTL: 'ever' }, /oidc.sessionTtl/],
    [{ ...oidc, REPRO_PUBLIC_URL: '' }, /oidc needs publicUrl/],
    [{ REPRO_OIDC_ISSUER: 'https://sso.example.fr' }, /oidc.clientId/],
  ])('refuses bad single sign-on settings: %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('allows a plain-http issuer only on a loopback address', () => {
    expect(loadConfig({ ...oidc, REPRO_OIDC_ISSUER: 'http://127.0.0.1:8080' }).oidc?.issuer).toBe('http://127.0.0.1:8080');
  });

  it('rejects unknown keys in the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'repro-config-'));
    const file = join(dir, 'repro.yaml');
    writeFileSync(file, 'prot: 3000\n');
    expect(() => loadConfig({ REPRO_CONFIG: file })).toThrow(/prot/);
  });
});
