import type { FastifyError, FastifySchemaValidationError } from 'fastify';
import fp from 'fastify-plugin';
import { RateLimitedError, RedisUnavailableError, ReproError } from '../../domain/errors.js';
import { isRedisUnavailable } from '../../store/redisConnection.js';
import { dottedPath } from '../../text/dottedPath.js';

interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

/**
 * Every failure leaves as `{error: {code, message, field?}}`; internals never reach the client.
 * Register before any plugin that opens a scope of its own: a scope keeps the handler it was opened with.
 */
export const errorHandling = fp(async (app) => {
  app.setErrorHandler((err: FastifyError | ReproError | Error, request, reply) => {
    if (isRedisUnavailable(err)) {
      // Nothing was done; the client may retry once Redis answers again (the connection reconnects by itself).
      const unavailable = new RedisUnavailableError(err);
      request.log.warn({ err: err.message }, 'Redis unavailable');
      return reply.status(unavailable.status).send({ error: { code: unavailable.code, message: unavailable.message } });
    }
    let status = 500;
    let body: ErrorBody = { error: { code: 'internal', message: 'internal error; see the service log' } };
    if (err instanceof ReproError) {
      status = err.status;
      if (err instanceof RateLimitedError) void reply.header('retry-after', String(err.retryAfterSeconds));
      body = { error: { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) } };
    } else if ('validation' in err && err.validation) {
      const first = err.validation[0];
      const field = fieldOf(first?.instancePath ?? '', first?.params as Record<string, unknown> | undefined);
      status = 400;
      body = { error: { code: 'invalid_request', message: `${err.validationContext ?? 'body'}${field ? `.${field}` : ''} ${messageOf(err.validation)}`, ...(field ? { field } : {}) } };
    } else if ('statusCode' in err && typeof err.statusCode === 'number' && err.statusCode < 500) {
      status = err.statusCode;
      body = { error: { code: codeOf(err), message: err.message } };
    }
    if (status >= 500) request.log.error({ err }, 'request failed');
    void reply.status(status).send(body);
  });

  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
  });
}, { name: 'repro-error-handling' });

function fieldOf(instancePath: string, params?: Record<string, unknown>): string {
  const path = dottedPath(instancePath);
  const extra = params?.['missingProperty'] ?? params?.['additionalProperty'];
  return [path, typeof extra === 'string' ? extra : ''].filter(Boolean).join('.');
}

/**
 * The first failure's message, except that a value outside a set (an enum, or a union of literals
 * such as `kind`) names the values allowed instead of Ajv's "must be equal to constant".
 */
function messageOf(errors: FastifySchemaValidationError[]): string {
  const first = errors[0];
  if (!first) return 'is invalid';
  const allowed = first.keyword === 'enum' ? (first.params['allowedValues'] as unknown[]) : literalsOf(errors, first.instancePath);
  return allowed ? `must be one of: ${allowed.map(String).join(', ')}` : first.message ?? 'is invalid';
}

/** The values of an `anyOf` at this path whose every branch is a literal (type and const only); undefined otherwise. */
function literalsOf(errors: FastifySchemaValidationError[], instancePath: string): unknown[] | undefined {
  const anyOf = errors.find((e) => e.keyword === 'anyOf' && e.instancePath === instancePath);
  if (!anyOf) return undefined;
  const branches = errors.filter((e) => e.schemaPath.startsWith(`${anyOf.schemaPath}/`));
  const literal = /^\/\d+\/(const|type)$/;
  if (branches.length === 0 || !branches.every((e) => literal.test(e.schemaPath.slice(anyOf.schemaPath.length)))) return undefined;
  const values = branches.filter((e) => e.keyword === 'const').map((e) => e.params['allowedValue']);
  return values.length > 0 ? values : undefined;
}

function codeOf(err: FastifyError): string {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return 'body_too_large';
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return 'unsupported_media_type';
  if (err.code?.startsWith('FST_ERR_CTP')) return 'invalid_body';
  return 'bad_request';
}
