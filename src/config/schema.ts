import { Type, type Static } from '@sinclair/typebox';
import { RoleSchema } from '../domain/roles.js';

const Duration = Type.String({ minLength: 2, description: '30m, 8h, 2d or ISO 8601' });

export const TicketSystemSchema = Type.Object(
  {
    webhookSecret: Type.Optional(Type.String({ minLength: 8 })),
    baseUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
    locale: Type.Optional(Type.Union([Type.Literal('fr'), Type.Literal('en')])),
  },
  // Each system's adapter validates its own extra settings (credentials, trigger rules).
  { additionalProperties: true },
);

/** Single sign-on for people (the console); bearer tokens stay for automation. */
export const OidcSchema = Type.Object(
  {
    /** The provider's issuer URL; https, or http on a loopback address (tests, local providers). */
    issuer: Type.String({ pattern: '^https?://' }),
    clientId: Type.String({ minLength: 1 }),
    clientSecret: Type.Optional(Type.String({ minLength: 1 })),
    scopes: Type.String({ minLength: 6, default: 'openid profile email' }),
    /** The claim (ID token or userinfo) that carries the user's groups. */
    roleClaim: Type.String({ minLength: 1, default: 'groups' }),
    /** Group → role; a user in several groups gets the highest role, in none a 403. */
    roleMap: Type.Record(Type.String(), RoleSchema, { minProperties: 1 }),
    sessionTtl: Type.String({ minLength: 2, default: '8h' }),
  },
  { additionalProperties: false },
);

export const ConfigSchema = Type.Object(
  {
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
    host: Type.String({ minLength: 1, default: '127.0.0.1' }),
    /** URL printed for humans and posted on tickets. */
    publicUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
    redisUrl: Type.String({ pattern: '^rediss?://', default: 'redis://127.0.0.1:6379' }),
    redisPrefix: Type.String({ pattern: '^[A-Za-z0-9_.-]+$', default: 'repro' }),
    /** A command Redis has not answered within this long fails (API answers 503) instead of hanging. */
    redisCommandTimeoutMs: Type.Integer({ minimum: 100, maximum: 60000, default: 1000 }),
    adminToken: Type.Optional(Type.String({ minLength: 16 })),
    /** Encrypts access secrets (VM private keys) in Redis; generated into <dataDir>/secrets-key when unset. */
    secretsKey: Type.Optional(Type.String({ minLength: 32 })),
    dataDir: Type.String({ minLength: 1, default: 'data' }),
    imagesDir: Type.String({ minLength: 1, default: 'images' }),
    dockerHost: Type.Optional(Type.String({ minLength: 1 })),
    hostId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]+$' })),
    debianMirror: Type.String({ pattern: '^https?://', default: 'http://deb.debian.org/debian' }),
    /** Ubuntu's package mirror: the ubuntu images' sources and their debootstrapped bases. */
    ubuntuMirror: Type.String({ pattern: '^https?://', default: 'http://archive.ubuntu.com/ubuntu' }),
    /** Environment kinds this host's workers serve: Docker containers, libvirt VMs. */
    kinds: Type.Array(Type.Union([Type.Literal('container'), Type.Literal('vm')]), { minItems: 1, default: ['container', 'vm'] }),
    /** pino's level for the service's log. */
    logLevel: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
    /** Which parts run in this process: both for the embedded default (src/entrypoints/main.ts). */
    roles: Type.Array(Type.Union([Type.Literal('api'), Type.Literal('worker')]), { minItems: 1, default: ['api', 'worker'] }),
    ttl: Type.Object(
      { default: Duration, max: Duration },
      { default: { default: '4h', max: '7d' } },
    ),
    limits: Type.Object(
      {
        cpus: Type.Number({ exclusiveMinimum: 0, maximum: 64 }),
        memoryMb: Type.Integer({ minimum: 64 }),
        pids: Type.Integer({ minimum: 16 }),
      },
      { default: { cpus: 1, memoryMb: 1024, pids: 512 } },
    ),
    vmLimits: Type.Object(
      {
        maxCpus: Type.Integer({ minimum: 1 }),
        maxMemoryMb: Type.Integer({ minimum: 256 }),
        maxDiskGb: Type.Integer({ minimum: 1 }),
      },
      { default: { maxCpus: 4, maxMemoryMb: 8192, maxDiskGb: 100 } },
    ),
    /** Live environments (not destroying or destroyed) allowed at once; VMs are counted again on their own. */
    quotas: Type.Object(
      {
        perRequester: Type.Integer({ minimum: 0 }),
        perTicket: Type.Integer({ minimum: 0 }),
        overall: Type.Integer({ minimum: 0 }),
        vmPerRequester: Type.Integer({ minimum: 0 }),
        vmOverall: Type.Integer({ minimum: 0 }),
      },
      { default: { perRequester: 10, perTicket: 5, overall: 200, vmPerRequester: 2, vmOverall: 20 } },
    ),
    bodyLimitBytes: Type.Integer({ minimum: 1024, default: 65536 }),
    /** Live event streams (SSE) one token may hold open at once on one API process. */
    eventStreamsPerToken: Type.Integer({ minimum: 1, maximum: 10000, default: 10 }),
    provisionConcurrency: Type.Integer({ minimum: 1, maximum: 200, default: 20 }),
    provisionAttempts: Type.Integer({ minimum: 1, maximum: 20, default: 3 }),
    /** How often a provisioning attempt looks for a destroy request, which cancels it. */
    cancelCheckMs: Type.Integer({ minimum: 10, maximum: 60000, default: 1000 }),
    /** First wait before a provisioning retry; BullMQ doubles it each attempt. */
    provisionBackoffMs: Type.Integer({ minimum: 10, maximum: 600000, default: 2000 }),
    exec: Type.Object(
      { timeoutMs: Type.Integer({ minimum: 100 }), maxOutputBytes: Type.Integer({ minimum: 1024 }) },
      { default: { timeoutMs: 60000, maxOutputBytes: 1048576 } },
    ),
    /** Interactive terminals: bounded in time, transcripts bounded in size. */
    terminal: Type.Object(
      {
        /** No byte either way for this long ends the session. */
        idleTimeoutMs: Type.Integer({ minimum: 1000 }),
        maxDurationMs: Type.Integer({ minimum: 1000 }),
        /** Recorded asciicast per session; output past it is not recorded (the session goes on). */
        transcriptMaxBytes: Type.Integer({ minimum: 1024 }),
        /** Transcript text put in a ticket comment. */
        attachMaxBytes: Type.Integer({ minimum: 256, maximum: 1048576 }),
      },
      { default: { idleTimeoutMs: 900000, maxDurationMs: 14400000, transcriptMaxBytes: 1048576, attachMaxBytes: 32768 } },
    ),
    maintenanceIntervalMs: Type.Integer({ minimum: 1000, default: 60000 }),
    /** A job whose worker died is retried after its lock lapses, about this long. */
    jobLockMs: Type.Integer({ minimum: 1000, default: 30000 }),
    /** On SIGINT/SIGTERM, how long the process waits for requests, jobs and connections to close before it exits anyway (code 1). */
    shutdownTimeoutMs: Type.Integer({ minimum: 1000, default: 30000 }),
    /** How long destroyed records stay readable for audit. */
    retention: Type.String({ minLength: 2, default: '30d' }),
    libvirt: Type.Object(
      {
        uri: Type.String({ minLength: 1 }),
        engine: Type.Union([Type.Literal('auto'), Type.Literal('direct'), Type.Literal('pulumi')]),
        network: Type.String({ minLength: 1 }),
        /** Address the forwarded SSH ports listen on, and that access details name. */
        sshHost: Type.String({ minLength: 1 }),
        /** Encrypts the Pulumi engine's stack secrets; generated once into <dataDir>/pulumi/.passphrase when unset. */
        pulumiPassphrase: Type.Optional(Type.String({ minLength: 1 })),
      },
      { default: { uri: 'qemu:///system', engine: 'auto', network: 'repro', sshHost: '127.0.0.1' } },
    ),
    images: Type.Object(
      {
        /** Builds of an image kept besides the serving one and those live environments use. */
        keepBuilds: Type.Integer({ minimum: 1, maximum: 100 }),
        /** Images built when a worker starts (no-op when their inputs were built already). */
        prewarm: Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{0,62}$' })),
        /** Where bases are pulled from (the official name, or the same path on a mirror) and builds are shared between hosts. */
        registry: Type.Optional(Type.Object(
          {
            url: Type.String({ pattern: '^[A-Za-z0-9.-]+(:[0-9]{1,5})?$', description: 'host[:port] of the registry' }),
            username: Type.Optional(Type.String({ minLength: 1 })),
            password: Type.Optional(Type.String({ minLength: 1 })),
          },
          { additionalProperties: false },
        )),
      },
      { default: { keepBuilds: 3, prewarm: [] } },
    ),
    /**
     * The host's shared package cache (apt-cacher-ng, started by scripts/setup-cache): environments
     * fetch packages through it as their HTTP proxy. `off` lets them reach the mirror directly.
     */
    packageCache: Type.Object(
      { url: Type.Union([Type.String({ pattern: '^http://[0-9.]+:[0-9]+/?$' }), Type.Literal('off')]) },
      { default: { url: 'http://172.17.0.1:3142' } },
    ),
    /** Package-set snapshots, per provider: at most this many container images (VM disks) and this many GiB of their own layers (overlays). */
    snapshots: Type.Object(
      { maxCount: Type.Integer({ minimum: 0 }), maxGb: Type.Number({ minimum: 0 }) },
      { default: { maxCount: 20, maxGb: 20 } },
    ),
    tickets: Type.Record(Type.String(), TicketSystemSchema, { default: {} }),
    webhooks: Type.Object(
      {
        /** How far a delivery's signed time (GLPI header; Redmine, Jira, MantisBT, RT, generic body) may be from now. */
        maxSkew: Duration,
      },
      { default: { maxSkew: '5m' } },
    ),
    /**
     * Reverse proxies (addresses or CIDRs) whose X-Forwarded-For names the client: rate limits
     * then count per real client instead of per proxy. Anyone else's X-Forwarded-For is ignored.
     */
    trustProxy: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
    /** Per client address, shared by every API process through Redis. */
    rateLimit: Type.Object(
      {
        /** Each unauthenticated route (webhooks, health, metrics, docs): requests per window. */
        publicMax: Type.Integer({ minimum: 1 }),
        publicWindow: Duration,
        /** Failed bearer-token authentications; beyond it the address gets 429 until the window ends. */
        failedAuthMax: Type.Integer({ minimum: 1 }),
        failedAuthWindow: Duration,
      },
      { default: { publicMax: 600, publicWindow: '1m', failedAuthMax: 20, failedAuthWindow: '1m' } },
    ),
    oidc: Type.Optional(OidcSchema),
    /** The built web console (`npm run build:web`), served under `/`. */
    consoleDir: Type.String({ minLength: 1, default: 'web/dist' }),
  },
  { additionalProperties: false },
);

export type RawConfig = Static<typeof ConfigSchema>;
