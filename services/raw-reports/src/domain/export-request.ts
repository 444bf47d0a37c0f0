import { createHash, timingSafeEqual } from 'node:crypto';
import { daysBetween, parseUtcDay, type UtcDay } from './utc-day';

/** Contracts §6: at most 93 days per export. */
export const MAX_RANGE_DAYS = 93;
export const EXPORT_FORMATS = ['csv', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportRange {
  from: UtcDay;
  to: UtcDay;
  days: UtcDay[];
  format: ExportFormat;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string; message: string };

/** Contracts §6: `from` and `to` as `YYYY-MM-DD`, inclusive, at most 93 days; `format` csv (default) or jsonl. */
export function checkExportQuery(query: Record<string, unknown>): Checked<ExportRange> {
  const { from, to, format = 'csv' } = query;
  if (typeof from !== 'string' || typeof to !== 'string')
    return invalid('invalid_range', 'from and to are required, as YYYY-MM-DD');
  const fromMs = parseUtcDay(from);
  const toMs = parseUtcDay(to);
  if (fromMs === undefined) return invalid('invalid_range', `from must be a UTC day as YYYY-MM-DD, not ${JSON.stringify(from)}`);
  if (toMs === undefined) return invalid('invalid_range', `to must be a UTC day as YYYY-MM-DD, not ${JSON.stringify(to)}`);
  if (toMs < fromMs) return invalid('invalid_range', 'to must not be before from');
  const days = daysBetween(fromMs, toMs);
  if (days.length > MAX_RANGE_DAYS)
    return invalid('range_too_long', `at most ${MAX_RANGE_DAYS} days per export; asked for ${days.length}`);
  if (typeof format !== 'string' || !(EXPORT_FORMATS as readonly string[]).includes(format))
    return invalid('invalid_format', 'format must be csv or jsonl');
  return { ok: true, value: { from, to, days, format: format as ExportFormat } };
}

/** Contracts §6: `Authorization: Bearer <api_token>` whose sha256 equals the app's `api_token_sha256`. */
export function isAuthorized(authorization: string | undefined, apiTokenSha256: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match) return false;
  const presented = createHash('sha256').update(match[1]).digest();
  const expected = Buffer.from(apiTokenSha256, 'hex');
  return expected.length === presented.length && timingSafeEqual(presented, expected);
}

function invalid(error: string, message: string): { ok: false; error: string; message: string } {
  return { ok: false, error, message };
}
