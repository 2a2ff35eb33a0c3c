import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDeps, type Deps } from '../../src/app/buildDeps.js';
import { buildApp } from '../../src/http/buildApp.js';
import { startHarness, type Harness } from '../support/harness.js';

/**
 * Rate limits against the real Redis, with two API instances (each its own Redis connection,
 * one deployment prefix) to show that the count is shared. Addresses are given by inject's
 * remoteAddress; no packet leaves the process.
 */
describe('rate limits', () => {
  let h: Harness;
  let otherDeps: Deps;
  let other: FastifyInstance;
  const PUBLIC_MAX = 5;
  const FAILED_AUTH_MAX = 3;

  beforeAll(async () => {
    h = await startHarness({
      env: {
        REPRO_RATE_LIMIT_PUBLIC_MAX: String(PUBLIC_MAX),
        REPRO_RATE_LIMIT_PUBLIC_WINDOW: '1m',
        REPRO_RATE_LIMIT_FAILED_AUTH_MAX: String(FAILED_AUTH_MAX),
        REPRO_RATE_LIMIT_FAILED_AUTH_WINDOW: '1m',
        REPRO_TRUST_PROXY: '127.0.0.99',
      },
    });
    otherDeps = buildDeps({ config: h.config, catalog: h.deps.catalog, provisioners: {}, log: pino({ level: 'silent' }) });
    await otherDeps.ready();
    other = await buildApp(otherDeps);
  });

  afterAll(async () => {
    await other?.close();
    await otherDeps?.close();
    await h?.close();
  });

  const apps = () => [h.app, other];

  it('limits a public route per address across both instances, with 429, the error body and Retry-After', async () => {
    const remoteAddress = '127.0.0.11';
    for (let i = 0; i < PUBLIC_MAX; i++) {
      const res = await apps()[i % 2]!.inject({ method: 'GET', url: '/healthz', remoteAddress });
      expect(res.statusCode).toBe(200);
    }
    for (const app of apps()) {
      const res = await app.inject({ method: 'GET', url: '/healthz', remoteAddress });
      expect(res.statusCode).toBe(429);
      expect(res.json()).toEqual({ error: { code: 'rate_limited', message: expect.stringContaining('too many requests') } });
      const retryAfter = Number(res.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
    }
    // Another address has its own budget.
    expect((await h.app.inject({ method: 'GET', url: '/healthz', remoteAddress: '127.0.0.12' })).statusCode).toBe(200);
    expect(await h.deps.redis.exists(`${h.config.redisPrefix}:ratelimit:GET/healthz-${remoteAddress}`)).toBe(1);
  });

  it.each([
    ['a webhook', 'POST', '/v1/webhooks/glpi'],
    ['the OpenAPI document', 'GET', '/docs/json'],
  ] as const)('limits %s the same way', async (_what, method, url) => {
    const remoteAddress = `127.0.0.${method === 'POST' ? 21 : 22}`;
    const statuses: number[] = [];
    for (let i = 0; i < PUBLIC_MAX + 2; i++) {
      statuses.push((await apps()[i % 2]!.inject({ method, url, remoteAddress, ...(method === 'POST' ? { payload: '{}' } : {}) })).statusCode);
    }
    expect(statuses.slice(0, PUBLIC_MAX).every((s) => s !== 429)).toBe(true);
    expect(statuses.slice(PUBLIC_MAX)).toEqual([429, 429]);
  });

  it('does not limit authenticated routes for valid tokens', async () => {
    const remoteAddress = '127.0.0.31';
    for (let i = 0; i < PUBLIC_MAX + FAILED_AUTH_MAX + 2; i++) {
      const res = await apps()[i % 2]!.inject({ method: 'GET', url: '/v1/images', headers: h.auth, remoteAddress });
      expect(res.statusCode).toBe(200);
    }
  });

  it('answers 429 after too many failed authentications from one address, on every instance and for every token', async () => {
    const remoteAddress = '127.0.0.41';
    const bad = { authorization: 'Bearer rp_not-a-token' };
    // A valid token first: it counts nothing.
    expect((await h.app.inject({ method: 'GET', url: '/v1/images', headers: h.auth, remoteAddress })).statusCode).toBe(200);
    for (let i = 0; i < FAILED_AUTH_MAX; i++) {
      const res = await apps()[i % 2]!.inject({ method: 'GET', url: '/v1/images', headers: i === 0 ? {} : bad, remoteAddress });
      expect(res.statusCode).toBe(401);
    }
    const over = await other.inject({ method: 'GET', url: '/v1/images', headers: bad, remoteAddress });
    expect(over.statusCode).toBe(429);
    expect(over.json().error.code).toBe('rate_limited');
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    // The address is refused before any token is tried, a valid one included.
    const valid = await h.app.inject({ method: 'GET', url: '/v1/images', headers: h.auth, remoteAddress });
    expect(valid.statusCode).toBe(429);
    // Other addresses are unaffected.
    expect((await h.app.inject({ method: 'GET', url: '/v1/images', headers: h.auth, remoteAddress: '127.0.0.42' })).statusCode).toBe(200);
  });

  it('counts the failed authentications of one IPv6 /64 together', async () => {
    const bad = { authorization: 'Bearer rp_not-a-token' };
    for (let i = 0; i < FAILED_AUTH_MAX; i++) {
      expect((await h.app.inject({ method: 'GET', url: '/v1/images', headers: bad, remoteAddress: `2001:db8:0:1::${i + 1}` })).statusCode).toBe(401);
    }
    expect((await other.inject({ method: 'GET', url: '/v1/images', headers: bad, remoteAddress: '2001:db8:0:1:ffff::9' })).statusCode).toBe(429);
    expect((await h.app.inject({ method: 'GET', url: '/v1/images', headers: h.auth, remoteAddress: '2001:db8:0:2::1' })).statusCode).toBe(200);
  });

  it('counts per client behind a trusted proxy, and ignores X-Forwarded-For from anyone else', async () => {
    const viaProxy = (client: string) => ({ method: 'GET' as const, url: '/healthz', remoteAddress: '127.0.0.99', headers: { 'x-forwarded-for': client } });
    for (let i = 0; i < PUBLIC_MAX; i++) expect((await h.app.inject(viaProxy('192.0.2.1'))).statusCode).toBe(200);
    expect((await other.inject(viaProxy('192.0.2.1'))).statusCode).toBe(429);
    expect((await other.inject(viaProxy('192.0.2.2'))).statusCode).toBe(200);
    // An untrusted sender cannot pick a new address per request to escape its budget.
    const direct = (client: string) => ({ method: 'GET' as const, url: '/healthz', remoteAddress: '127.0.0.51', headers: { 'x-forwarded-for': client } });
    for (let i = 0; i < PUBLIC_MAX; i++) expect((await h.app.inject(direct(`198.51.100.${i}`))).statusCode).toBe(200);
    expect((await h.app.inject(direct('198.51.100.200'))).statusCode).toBe(429);
  });
});
