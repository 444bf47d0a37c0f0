/** A UTC calendar day, `YYYY-MM-DD`: the unit of the lake's layout and of export ranges. */
export type UtcDay = string;

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** The UTC day of an ISO 8601 UTC instant (`2026-11-22T23:59:59.999Z` is `2026-11-22`). */
export function utcDayOf(instant: string): UtcDay {
  return new Date(Date.parse(instant)).toISOString().slice(0, 10);
}

/** Parses `YYYY-MM-DD` strictly: a day that does not exist (2026-02-30) is refused. */
export function parseUtcDay(text: string): number | undefined {
  const match = DAY_PATTERN.exec(text);
  if (!match) return undefined;
  const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return new Date(ms).toISOString().slice(0, 10) === text ? ms : undefined;
}

export const dayOfMs = (ms: number): UtcDay => new Date(ms).toISOString().slice(0, 10);

/** Every day from `from` to `to`, both included, in order. */
export function daysBetween(fromMs: number, toMs: number): UtcDay[] {
  const days: UtcDay[] = [];
  for (let ms = fromMs; ms <= toMs; ms += DAY_MS) days.push(dayOfMs(ms));
  return days;
}

/** Whole days from `earlier` to `later`. */
export const dayDistance = (earlier: UtcDay, later: UtcDay): number =>
  Math.round((parseUtcDay(later)! - parseUtcDay(earlier)!) / DAY_MS);

/** A day is deleted once it is more than `retentionDays` days before today (today minus N is still kept). */
export const isExpired = (day: UtcDay, today: UtcDay, retentionDays: number): boolean => dayDistance(day, today) > retentionDays;
