import { ValidationError } from './errors.js';
import { formatDuration } from './formatDuration.js';
import { parseDuration } from './parseDuration.js';

/** Parses an environment TTL and checks it against the configured maximum. */
export function parseBoundedTtl(value: string, maxSeconds: number, field = 'ttl'): number {
  const seconds = parseDuration(value, field);
  if (seconds > maxSeconds) {
    throw new ValidationError(`${field} "${value}" is above the maximum of ${formatDuration(maxSeconds)}`, field);
  }
  return seconds;
}

