const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const isLeapYear = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

/** Reads `count` ASCII digits at `at`; -1 when any is not a digit. */
function digits(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const code = text.charCodeAt(i) - 48;
    if (code < 0 || code > 9) return -1;
    value = value * 10 + code;
  }
  return value;
}

/**
 * An RFC 3339 date-time (`2026-11-22T10:00:00.123+01:00`) as epoch milliseconds, or
 * undefined when the text is not one. Written by hand because Date.parse accepts far
 * more than RFC 3339 and is slow on the hot path. Fractions beyond milliseconds are
 * truncated; a leap second (`:60`) is read as the last millisecond of its minute.
 */
export function parseRfc3339(text: string): number | undefined {
  const length = text.length;
  if (length < 20 || length > 40) return undefined;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (
    year < 0 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 60
  ) {
    return undefined;
  }
  if (text[4] !== '-' || text[7] !== '-' || text[13] !== ':' || text[16] !== ':') return undefined;
  const separator = text[10];
  if (separator !== 'T' && separator !== 't' && separator !== ' ') return undefined;
  const monthDays = month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1];
  if (day > monthDays) return undefined;

  let at = 19;
  let millis = 0;
  if (text[at] === '.') {
    at++;
    const start = at;
    while (at < length) {
      const code = text.charCodeAt(at) - 48;
      if (code < 0 || code > 9) break;
      if (at - start < 3) millis = millis * 10 + code;
      at++;
    }
    const fractionDigits = at - start;
    if (fractionDigits === 0) return undefined;
    for (let i = fractionDigits; i < 3; i++) millis *= 10;
  }

  let offsetMinutes = 0;
  const zone = text[at];
  if (zone === 'Z' || zone === 'z') {
    at++;
  } else if (zone === '+' || zone === '-') {
    const offsetHour = digits(text, at + 1, 2);
    const offsetMinute = digits(text, at + 4, 2);
    if (offsetHour < 0 || offsetHour > 23 || offsetMinute < 0 || offsetMinute > 59 || text[at + 3] !== ':') return undefined;
    offsetMinutes = (offsetHour * 60 + offsetMinute) * (zone === '+' ? 1 : -1);
    at += 6;
  } else {
    return undefined;
  }
  if (at !== length) return undefined;

  if (second === 60) millis = 999;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second === 60 ? 59 : second, millis);
  // Date.UTC maps years 0-99 to 1900-1999; RFC 3339 years are literal.
  const literal = year < 100 ? new Date(utc).setUTCFullYear(year) : utc;
  return literal - offsetMinutes * 60_000;
}
