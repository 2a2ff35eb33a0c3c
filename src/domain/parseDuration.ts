import { ValidationError } from './errors.js';

const SHORT = /^(\d{1,6})([smhd])$/;
// ISO 8601 durations without years/months, whose length in seconds depends on the calendar.
const ISO = /^P(?:(\d{1,6})W)?(?:(\d{1,6})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,6})M)?(?:(\d{1,6})S)?)?$/;
const UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Parses any duration setting or request field: `30m`, `8h`, `2d` or an ISO 8601 duration (`PT30M`, `P1DT2H`) into seconds. */
export function parseDuration(value: string, field = 'ttl'): number {
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
