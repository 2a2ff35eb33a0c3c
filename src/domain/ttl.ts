import { ValidationError } from './errors.js';

const SHORT = /^(\d{1,6})([smhd])$/;
// ISO 8601 durations without years/months, whose length in seconds depends on the calendar.
const ISO = /^P(?:(\d{1,6})W)?(?:(\d{1,6})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,6})M)?(?:(\d{1,6})S)?)?$/;
const UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Parses `30m`, `8h`, `2d` or an ISO 8601 duration (`PT30M`, `P1DT2H`) into seconds. */
export function parseTtl(value: string, field = 'ttl'): number {
  const text = value.trim();
  const short = SHORT.exec(text);
  let seconds: number | undefined;
  if (short) {
    seconds = Number(short[1]) * UNIT[short[2]!]!;
  } else {
    const iso = ISO.exec(text);
    if (iso && text !== 'P' && !text.endsWith('T')) {
      const [, w, d, h, m, s] = iso.map((part) => Number(part ?? 0));
      seconds = w! * 604800 + d! * 86400 + h! * 3600 + m! * 60 + s!;
    }
  }
  if (seconds === undefined) {
    throw new ValidationError(`${field} "${value}" is not a duration: use 30m, 8h, 2d or ISO 8601 such as PT30M`, field);
  }
  if (seconds <= 0) throw new ValidationError(`${field} must be longer than zero`, field);
  return seconds;
}

/** Parses and checks against the configured maximum. */
export function parseBoundedTtl(value: string, maxSeconds: number, field = 'ttl'): number {
  const seconds = parseTtl(value, field);
  if (seconds > maxSeconds) {
    throw new ValidationError(`${field} "${value}" is above the maximum of ${formatDuration(maxSeconds)}`, field);
  }
  return seconds;
}

export function formatDuration(seconds: number): string {
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60]] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}
