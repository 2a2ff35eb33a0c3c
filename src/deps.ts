import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import type { Config } from './config/loadConfig.js';
import { systemClock, type Clock } from './clock.js';
import type { EnvironmentKind } from './domain/environment.js';
import { createEnvironmentService, type EnvironmentService } from './environments/service.js';
import { createBuildStore, type BuildStore } from './images/buildStore.js';
import type { Catalog } from './images/catalog.js';
import { createDefinitionStore, type DefinitionStore } from './images/definitionStore.js';
import { createLiveCatalog, type LiveCatalog } from './images/liveCatalog.js';
import type { BrokenDefinition } from './images/loadCatalog.js';
import { createMetrics, type Metrics } from './metrics.js';
import type { Provisioner } from './provisioners/port.js';
import { createQueues, type Queues } from './queue/createQueues.js';
import { createEnvironmentStore, type EnvironmentStore } from './store/environmentStore.js';
import { createEventStore, type EventStore } from './store/eventStore.js';
import { keys, type Keys } from './store/keys.js';
import { createTokenStore, type TokenStore } from './store/tokenStore.js';
import { loadSecretsKey } from './secrets/loadSecretsKey.js';
import { createSecretBox, type SecretBox } from './secrets/secretBox.js';
import { buildTicketing, type Ticketing } from './tickets/buildTicketing.js';

export interface Deps {
  config: Config;
  log: Logger;
  clock: Clock;
  redis: Redis;
  keys: Keys;
  store: EnvironmentStore;
  events: EventStore;
  tokens: TokenStore;
  /** Seals access secrets at rest (worker) and opens them for the access route (API). */
  secrets: SecretBox;
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
  /** A new Redis connection (blocking reads, BullMQ workers); closed with the rest. */
  connect(): Redis;
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
  const log = input.log ?? pino({ level: process.env['LOG_LEVEL'] ?? 'info' });
  // First: a bad key stops the start before any connection opens.
  const secrets = createSecretBox(loadSecretsKey(config));
  const connections: Redis[] = [];
  const connect = () => {
    // BullMQ requires maxRetriesPerRequest: null on connections that block.
    const conn = new Redis(config.redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
    conn.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
    connections.push(conn);
    return conn;
  };
  const redis = connect();
  const k = keys(config.redisPrefix);
  const store = createEnvironmentStore(redis, k, clock, config.retentionSeconds);
  const events = createEventStore(redis, k, clock);
  const queues = createQueues(redis, k, { provisionAttempts: config.provisionAttempts });
  const definitions = createDefinitionStore(redis, k, clock);
  const builds = createBuildStore(redis, k, clock);
  const catalog = createLiveCatalog(input.catalog.list(), input.brokenImages ?? [], definitions);
  const service = createEnvironmentService({ config, clock, catalog, store, events, queues, provisioners, secrets });
  const ticketing = buildTicketing({ config, clock, redis, service, events, queues, catalog });
  const deps: Deps = {
    config, log, clock, redis, keys: k, store, events, queues, catalog, definitions, builds, provisioners, service, ticketing, secrets,
    tokens: createTokenStore(redis, k, clock),
    metrics: createMetrics(),
    connect,
    async close() {
      await Promise.all(Object.values(provisioners).map((p) => p.close?.()));
      await queues.close();
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
  return deps;
}
