import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../src/domain/formatDuration.js';
import { parseBoundedTtl } from '../../src/domain/parseBoundedTtl.js';
import { parseDuration } from '../../src/domain/parseDuration.js';
import { ValidationError } from '../../src/domain/errors.js';

describe('parseDuration', () => {
  it.each([
    ['30m', 1800], ['8h', 28800], ['2d', 172800], ['45s', 45],
    ['PT30M', 1800], ['P1DT2H', 93600], ['PT1H30M', 5400], ['P1W', 604800], ['PT90S', 90],
  ])('%s is %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['', '30', 'm', '1y', 'P', 'PT', 'P1M', '-5m', '0m', '1.5h', '30 m', 'PT30M; rm -rf /', '99999999d'])('rejects "%s" naming the field', (text) => {
    expect(() => parseDuration(text)).toThrow(ValidationError);
    try {
      parseDuration(text);
    } catch (err) {
      expect((err as ValidationError).field).toBe('ttl');
    }
  });

  it('bounds by the maximum with a message naming it', () => {
    expect(parseBoundedTtl('7d', 7 * 86400)).toBe(604800);
    expect(() => parseBoundedTtl('8d', 7 * 86400)).toThrow(/above the maximum of 7d/);
  });

  it('formats durations in the largest whole unit', () => {
    expect(formatDuration(172800)).toBe('2d');
    expect(formatDuration(5400)).toBe('90m');
    expect(formatDuration(61)).toBe('61s');
  });
});
