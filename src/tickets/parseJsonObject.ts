import { ValidationError } from '../domain/errors.js';

export type Json = Record<string, unknown>;

export function parseJsonObject(rawBody: Buffer): Json {
  let value: unknown;
  try {
    value = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new ValidationError('the body is not valid JSON', 'body');
  }
  if (!isObject(value)) throw new ValidationError('the body must be a JSON object', 'body');
  return value;
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
