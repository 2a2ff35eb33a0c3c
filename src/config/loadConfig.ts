import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../domain/errors.js';
import { parseDuration } from '../domain/parseDuration.js';
import { validateTicketsConfig } from '../tickets/settings.js';
import { ConfigSchema, type RawConfig } from './schema.js';
import { dottedPath } from '../text/dottedPath.js';

export interface Config extends Omit<RawConfig, 'ttl' | 'retention' | 'hostId' | 'webhooks' | 'rateLimit' | 'oidc'> {
  hostId: string;
  oidc?: Omit<NonNullable<RawConfig['oidc']>, 'sessionTtl'> & { sessionTtlSeconds: number };
  ttl: { defaultSeconds: number; maxSeconds: number };
  retentionSeconds: number;
  webhooks: { maxSkewSeconds: number };
  rateLimit: { publicMax: number; publicWindowMs: number; failedAuthMax: number; failedAuthWindowMs: number };
}

/** Environment variables and the config path they set; `REPRO_CONFIG` names an optional YAML file. */
const ENV_MAP: Array<[string, string, 'string' | 'int' | 'number' | 'list' | 'map']> = [
  ['PORT', 'port', 'int'],
  ['LOG_LEVEL', 'logLevel', 'string'],
  ['HOST', 'host', 'string'],
  ['REPRO_PUBLIC_URL', 'publicUrl', 'string'],
  ['REDIS_URL', 'redisUrl', 'string'],
  ['REPRO_REDIS_PREFIX', 'redisPrefix', 'string'],
  ['REPRO_REDIS_COMMAND_TIMEOUT_MS', 'redisCommandTimeoutMs', 'int'],
  ['REPRO_ADMIN_TOKEN', 'adminToken', 'string'],
  ['REPRO_SECRETS_KEY', 'secretsKey', 'string'],
  ['REPRO_DATA_DIR', 'dataDir', 'string'],
  ['REPRO_IMAGES_DIR', 'imagesDir', 'string'],
  ['DOCKER_HOST', 'dockerHost', 'string'],
  ['REPRO_HOST_ID', 'hostId', 'string'],
  ['REPRO_DEBIAN_MIRROR', 'debianMirror', 'string'],
  ['REPRO_UBUNTU_MIRROR', 'ubuntuMirror', 'string'],
  ['REPRO_IMAGE_KEEP_BUILDS', 'images.keepBuilds', 'int'],
  ['REPRO_IMAGE_PREWARM', 'images.prewarm', 'list'],
  ['REPRO_IMAGE_REGISTRY', 'images.registry.url', 'string'],
  ['REPRO_IMAGE_REGISTRY_USERNAME', 'images.registry.username', 'string'],
  ['REPRO_IMAGE_REGISTRY_PASSWORD', 'images.registry.password', 'string'],
  ['REPRO_ROLES', 'roles', 'list'],
  ['REPRO_KINDS', 'kinds', 'list'],
  ['REPRO_TTL_DEFAULT', 'ttl.default', 'string'],
  ['REPRO_TTL_MAX', 'ttl.max', 'string'],
  ['REPRO_LIMIT_CPUS', 'limits.cpus', 'number'],
  ['REPRO_LIMIT_MEMORY_MB', 'limits.memoryMb', 'int'],
  ['REPRO_LIMIT_PIDS', 'limits.pids', 'int'],
  ['REPRO_QUOTA_PER_REQUESTER', 'quotas.perRequester', 'int'],
  ['REPRO_QUOTA_PER_TICKET', 'quotas.perTicket', 'int'],
  ['REPRO_QUOTA_OVERALL', 'quotas.overall', 'int'],
  ['REPRO_QUOTA_VM_PER_REQUESTER', 'quotas.vmPerRequester', 'int'],
  ['REPRO_QUOTA_VM_OVERALL', 'quotas.vmOverall', 'int'],
  ['REPRO_BODY_LIMIT_BYTES', 'bodyLimitBytes', 'int'],
  ['REPRO_EVENT_STREAMS_PER_TOKEN', 'eventStreamsPerToken', 'int'],
  ['REPRO_PROVISION_CONCURRENCY', 'provisionConcurrency', 'int'],
  ['REPRO_PROVISION_ATTEMPTS', 'provisionAttempts', 'int'],
  ['REPRO_PROVISION_BACKOFF_MS', 'provisionBackoffMs', 'int'],
  ['REPRO_CANCEL_CHECK_MS', 'cancelCheckMs', 'int'],
  ['REPRO_EXEC_TIMEOUT_MS', 'exec.timeoutMs', 'int'],
  ['REPRO_TERMINAL_IDLE_TIMEOUT_MS', 'terminal.idleTimeoutMs', 'int'],
  ['REPRO_TERMINAL_MAX_DURATION_MS', 'terminal.maxDurationMs', 'int'],
  ['REPRO_TERMINAL_TRANSCRIPT_MAX_BYTES', 'terminal.transcriptMaxBytes', 'int'],
  ['REPRO_TERMINAL_ATTACH_MAX_BYTES', 'terminal.attachMaxBytes', 'int'],
  ['REPRO_MAINTENANCE_INTERVAL_MS', 'maintenanceIntervalMs', 'int'],
  ['REPRO_JOB_LOCK_MS', 'jobLockMs', 'int'],
  ['REPRO_SHUTDOWN_TIMEOUT_MS', 'shutdownTimeoutMs', 'int'],
  ['REPRO_RETENTION', 'retention', 'string'],
  ['REPRO_LIBVIRT_URI', 'libvirt.uri', 'string'],
  ['REPRO_VM_ENGINE', 'libvirt.engine', 'string'],
  ['REPRO_LIBVIRT_NETWORK', 'libvirt.network', 'string'],
  ['REPRO_SSH_HOST', 'libvirt.sshHost', 'string'],
  ['REPRO_PULUMI_PASSPHRASE', 'libvirt.pulumiPassphrase', 'string'],
  ['REPRO_WEBHOOK_MAX_SKEW', 'webhooks.maxSkew', 'string'],
  ['REPRO_PACKAGE_CACHE_URL', 'packageCache.url', 'string'],
  ['REPRO_SNAPSHOTS_MAX_COUNT', 'snapshots.maxCount', 'int'],
  ['REPRO_SNAPSHOTS_MAX_GB', 'snapshots.maxGb', 'number'],
  ['REPRO_TRUST_PROXY', 'trustProxy', 'list'],
  ['REPRO_RATE_LIMIT_PUBLIC_MAX', 'rateLimit.publicMax', 'int'],
  ['REPRO_RATE_LIMIT_PUBLIC_WINDOW', 'rateLimit.publicWindow', 'string'],
  ['REPRO_RATE_LIMIT_FAILED_AUTH_MAX', 'rateLimit.failedAuthMax', 'int'],
  ['REPRO_RATE_LIMIT_FAILED_AUTH_WINDOW', 'rateLimit.failedAuthWindow', 'string'],
  ['REPRO_CONSOLE_DIR', 'consoleDir', 'string'],
  ['REPRO_OIDC_ISSUER', 'oidc.issuer', 'string'],
  ['REPRO_OIDC_CLIENT_ID', 'oidc.clientId', 'string'],
  ['REPRO_OIDC_CLIENT_SECRET', 'oidc.clientSecret', 'string'],
  ['REPRO_OIDC_SCOPES', 'oidc.scopes', 'string'],
  ['REPRO_OIDC_ROLE_CLAIM', 'oidc.roleClaim', 'string'],
  ['REPRO_OIDC_ROLE_MAP', 'oidc.roleMap', 'map'],
  ['REPRO_OIDC_SESSION_TTL', 'oidc.sessionTtl', 'string'],
];

/** Loads, merges (defaults < YAML file < environment) and validates; throws ConfigError naming the bad setting. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, unknown> = readYaml(env['REPRO_CONFIG']);
  for (const [name, path, type] of ENV_MAP) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(raw, path, convert(name, value, type));
  }
  // Fill object defaults first so env overrides of one nested key keep the others.
  const withDefaults = Value.Default(ConfigSchema, mergeDefaults(raw)) as unknown;
  const errors = [...Value.Errors(ConfigSchema, withDefaults)];
  if (errors.length > 0) {
    const lines = errors.slice(0, 5).map((e) => `  ${settingName(e.path)}: ${e.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const valid = withDefaults as RawConfig;
  validateTicketsConfig(valid.tickets);
  const badProxy = valid.trustProxy.find((entry) => !isProxyAddress(entry));
  if (badProxy !== undefined) {
    throw new ConfigError(`invalid configuration: trustProxy (REPRO_TRUST_PROXY): "${badProxy}" is not an address, a CIDR, loopback, linklocal or uniquelocal`);
  }
  const ttl = {
    defaultSeconds: parseSetting('ttl.default', () => parseDuration(valid.ttl.default)),
    maxSeconds: parseSetting('ttl.max', () => parseDuration(valid.ttl.max)),
  };
  if (ttl.defaultSeconds > ttl.maxSeconds) throw new ConfigError('invalid configuration: ttl.default is above ttl.max');
  const { ttl: _ttl, retention, hostId, webhooks, rateLimit, oidc, ...rest } = valid;
  if (oidc && !valid.publicUrl) throw new ConfigError('invalid configuration: oidc needs publicUrl (REPRO_PUBLIC_URL): the provider redirects people back to it');
  return {
    ...rest,
    ...(oidc ? { oidc: checkOidc(oidc) } : {}),
    consoleDir: resolve(valid.consoleDir),
    dataDir: resolve(valid.dataDir),
    imagesDir: resolve(valid.imagesDir),
    hostId: hostId ?? hostname().replace(/[^A-Za-z0-9_.-]/g, '-'),
    ttl,
    retentionSeconds: parseSetting('retention', () => parseDuration(retention)),
    webhooks: { maxSkewSeconds: parseSetting('webhooks.maxSkew', () => parseDuration(webhooks.maxSkew)) },
    rateLimit: {
      publicMax: rateLimit.publicMax,
      publicWindowMs: parseSetting('rateLimit.publicWindow', () => parseDuration(rateLimit.publicWindow)) * 1000,
      failedAuthMax: rateLimit.failedAuthMax,
      failedAuthWindowMs: parseSetting('rateLimit.failedAuthWindow', () => parseDuration(rateLimit.failedAuthWindow)) * 1000,
    },
  };
}

function checkOidc(oidc: NonNullable<RawConfig['oidc']>): NonNullable<Config['oidc']> {
  const issuer = new URL(oidc.issuer);
  // Plain http only where nobody can sit in the middle: a provider on this host.
  if (issuer.protocol === 'http:' && !['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname)) {
    throw new ConfigError('invalid configuration: oidc.issuer (REPRO_OIDC_ISSUER) must be https unless it is on a loopback address');
  }
  if (!oidc.scopes.split(/\s+/).includes('openid')) throw new ConfigError('invalid configuration: oidc.scopes must include openid');
  const { sessionTtl, ...rest } = oidc;
  return { ...rest, sessionTtlSeconds: parseSetting('oidc.sessionTtl', () => parseDuration(sessionTtl)) };
}

function readYaml(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`REPRO_CONFIG: cannot read ${path}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`REPRO_CONFIG: ${path} is not valid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`REPRO_CONFIG: ${path} must hold a mapping`);
  return doc as Record<string, unknown>;
}

function convert(name: string, value: string, type: 'string' | 'int' | 'number' | 'list' | 'map'): unknown {
  if (type === 'string') return value;
  if (type === 'list') return value.split(',').map((s) => s.trim()).filter(Boolean);
  if (type === 'map') {
    // key=value,key=value (group=role for REPRO_OIDC_ROLE_MAP)
    const pairs = value.split(',').map((s) => s.trim()).filter(Boolean).map((pair) => pair.split('='));
    if (pairs.some((p) => p.length !== 2 || !p[0] || !p[1])) throw new ConfigError(`invalid configuration: ${name} must read key=value,key=value`);
    return Object.fromEntries(pairs.map(([k, v]) => [k!.trim(), v!.trim()]));
  }
  const n = Number(value);
  if (!Number.isFinite(n) || (type === 'int' && !Number.isInteger(n))) {
    throw new ConfigError(`invalid configuration: ${name}="${value}" is not ${type === 'int' ? 'an integer' : 'a number'}`);
  }
  return n;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}

/** Nested objects carry whole-object defaults; merge them under partial overrides. */
function mergeDefaults(raw: Record<string, unknown>): Record<string, unknown> {
  const out = { ...raw };
  for (const [key, schema] of Object.entries(ConfigSchema.properties)) {
    const fallback = (schema as { default?: unknown }).default;
    const given = out[key];
    if (isPlainObject(fallback) && isPlainObject(given)) out[key] = { ...fallback, ...given };
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function settingName(pointer: string): string {
  const path = dottedPath(pointer);
  const envName = ENV_MAP.find(([, p]) => p === path)?.[0];
  return envName ? `${path} (${envName})` : path || '(root)';
}

/** What Fastify's trustProxy (proxy-addr) accepts: an address, a CIDR, or one of its named ranges. */
function isProxyAddress(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^[0-9]{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

function parseSetting<T>(name: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new ConfigError(`invalid configuration: ${name}: ${(err as Error).message}`);
  }
}
