import type { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import type { Config } from '../config/loadConfig.js';
import { systemClock, type Clock } from '../domain/clock.js';
import type { EnvironmentKind } from '../domain/environment.js';
import { createEnvironmentService, type EnvironmentService } from './createEnvironmentService.js';
import { createBuildStore, type BuildStore } from '../images/buildStore.js';
import type { Catalog } from '../images/catalog.js';
import { createDefinitionStore, type DefinitionStore } from '../images/definitionStore.js';
import { createLiveCatalog, type LiveCatalog } from '../images/liveCatalog.js';
import type { BrokenDefinition } from '../images/loadCatalog.js';
import { createMetrics, type Metrics } from './createMetrics.js';
import type { Provisioner } from '../provisioners/port.js';
import { createQueues, type Queues } from '../queue/createQueues.js';
import { createEnvironmentStore, type EnvironmentStore } from '../store/environmentStore.js';
import { createEventFeed, type EventFeed } from '../store/eventFeed.js';
import { createEventStore, type EventStore } from '../store/eventStore.js';
import { keys, type Keys } from '../store/keys.js';
import { openRedis, untilRedisReady } from '../store/redisConnection.js';
import { createSessionStore, type SessionStore } from '../store/sessionStore.js';
import { createTokenStore, type TokenStore } from '../store/tokenStore.js';
import { loadSecretsKey } from '../secrets/loadSecretsKey.js';
import { createSecretBox, type SecretBox } from '../secrets/secretBox.js';
import { createTranscriptStore, type TranscriptStore } from '../store/transcriptStore.js';
import { buildTicketing, type Ticketing } from '../tickets/buildTicketing.js';

export interface Deps {
  config: Config;
  log: Logger;
  clock: Clock;
  redis: Redis;
  keys: Keys;
  store: EnvironmentStore;
  events: EventStore;
  /** Live event streams of this process, over one shared blocking connection. */
  eventFeed: EventFeed;
  tokens: TokenStore;
  /** Seals access secrets at rest (worker) and opens them for the access route (API). */
  secrets: SecretBox;
  /** Terminal sessions and their asciicast transcripts. */
  transcripts: TranscriptStore;
  /** Console sessions (single sign-on); bearer tokens stay for automation. */
  sessions: SessionStore;
  queues: Queues;
  /** The files' catalog with the admins' API changes over it (refresh() rereads them). */
  catalog: LiveCatalog;
  definitions: DefinitionStore;
  builds: BuildStore;
  metrics: Metrics;
  provisioners: Partial<Record<EnvironmentKind, Provisioner>>;
  service: EnvironmentService;
  /** Ticket adapters and the webhook event handler (empty when no system is configured). */
  ticketing: Ticketing;
  /** A new blocking Redis connection (blocking reads, BullMQ workers), named `<prefix>:<role>`; closed with the rest. */
  connect(role?: string): Redis;
  /** Resolves once the command connection is ready; until then `onWait` hears why not. */
  ready(onWait?: (message: string) => void): Promise<void>;
  close(): Promise<void>;
}

export interface DepsInput {
  config: Config;
  /** The valid image.yaml files. */
  catalog: Catalog;
  /** The image.yaml files that did not load, shown by /readyz and GET /v1/images. */
  brokenImages?: BrokenDefinition[];
  provisioners: Partial<Record<EnvironmentKind, Provisioner>>;
  clock?: Clock;
  log?: Logger;
}

/** Builds everything that talks to Redis. Nothing here starts listening or consuming. */
export function buildDeps(input: DepsInput): Deps {
  const { config, provisioners } = input;
  const clock = input.clock ?? systemClock;
  const log = input.log ?? pino({ level: config.logLevel });
  // First: a bad key stops the start before any connection opens.
  const secrets = createSecretBox(loadSecretsKey(config));
  const connections: Redis[] = [];
  const track = (conn: Redis) => {
    conn.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
    connections.push(conn);
    return conn;
  };
  const connect = (role = 'worker') => track(openRedis(config.redisUrl, 'blocking', { name: `${config.redisPrefix}:${role}` }));
  const redis = track(openRedis(config.redisUrl, 'command', { name: `${config.redisPrefix}:command`, commandTimeoutMs: config.redisCommandTimeoutMs }));
  const k = keys(config.redisPrefix);
  const store = createEnvironmentStore(redis, k, clock, config.retentionSeconds);
  const events = createEventStore(redis, k, clock);
  const eventFeed = createEventFeed({ redis, connect: () => connect('events'), keys: k, log });
  const queues = createQueues(redis, k, { provisionAttempts: config.provisionAttempts, provisionBackoffMs: config.provisionBackoffMs });
  const definitions = createDefinitionStore(redis, k, clock);
  const builds = createBuildStore(redis, k, clock);
  const catalog = createLiveCatalog(input.catalog.list(), input.brokenImages ?? [], definitions);
  const service = createEnvironmentService({ config, clock, catalog, store, events, queues, provisioners, secrets });
  const ticketing = buildTicketing({ config, clock, redis, service, events, queues, catalog });
  const deps: Deps = {
    config, log, clock, redis, keys: k, store, events, eventFeed, queues, catalog, definitions, builds, provisioners, service, ticketing, secrets,
    tokens: createTokenStore(redis, k, clock),
    // Kept as long as the environment can live plus the retention of its record.
    transcripts: createTranscriptStore(redis, k, config.ttl.maxSeconds + config.retentionSeconds),
    sessions: createSessionStore(redis, k),
    metrics: createMetrics(),
    connect,
    ready: (onWait = (message) => log.warn(message)) => untilRedisReady(redis, config.redisUrl, onWait),
    async close() {
      await Promise.all(Object.values(provisioners).map((p) => p.close?.()));
      await eventFeed.close();
      await queues.close();
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
  return deps;
}
