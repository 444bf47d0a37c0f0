import { GROUP_FIELDS, type GroupField } from './report';

export const MAX_RANGE_DAYS = 93;
const DAY_MS = 86_400_000;

export interface ReportQuery {
  from: string;
  to: string;
  /** Every UTC day from `from` to `to`, inclusive. */
  days: string[];
  groupBy: GroupField[];
  format: 'json' | 'csv';
}

export type QueryProblem = { error: 'invalid_range' | 'invalid_group_by' | 'invalid_format'; message: string };

/** A real calendar day as YYYY-MM-DD, as epoch ms at its start; undefined otherwise. */
export function parseDay(text: unknown): number | undefined {
  if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(text)) return undefined;
  const ms = Date.parse(`${text}T00:00:00.000Z`);
  // Date.parse rolls 2026-02-30 over to March; a real day prints back as itself.
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== text) return undefined;
  return ms;
}

const single = (value: unknown): unknown => (Array.isArray(value) ? value[0] : value);

/**
 * Contracts §6/§7 query rules: `from` and `to` UTC days, inclusive, at most 93 days;
 * `group_by` any subset of date, media_source, campaign (default media_source; an empty
 * value asks for one total row); `format` json (default) or csv.
 */
export function parseReportQuery(
  query: Record<string, unknown>,
): { ok: true; query: ReportQuery } | { ok: false; problem: QueryProblem } {
  const fromText = single(query.from);
  const toText = single(query.to);
  const from = parseDay(fromText);
  const to = parseDay(toText);
  if (from === undefined || to === undefined)
    return { ok: false, problem: { error: 'invalid_range', message: '`from` and `to` are required, as real days YYYY-MM-DD' } };
  if (from > to) return { ok: false, problem: { error: 'invalid_range', message: '`from` must not be after `to`' } };
  const count = (to - from) / DAY_MS + 1;
  if (count > MAX_RANGE_DAYS)
    return {
      ok: false,
      problem: { error: 'invalid_range', message: `the range covers ${count} days; at most ${MAX_RANGE_DAYS} are allowed` },
    };

  const groupByText = single(query.group_by);
  let groupBy: GroupField[] = ['media_source'];
  if (groupByText !== undefined) {
    if (typeof groupByText !== 'string')
      return { ok: false, problem: { error: 'invalid_group_by', message: '`group_by` must be a comma-separated list' } };
    const fields = groupByText === '' ? [] : groupByText.split(',').map((field) => field.trim());
    const unknown = fields.filter((field) => !(GROUP_FIELDS as readonly string[]).includes(field));
    if (unknown.length > 0)
      return {
        ok: false,
        problem: {
          error: 'invalid_group_by',
          message: `unknown group_by field ${JSON.stringify(unknown[0])}; use any of ${GROUP_FIELDS.join(', ')}`,
        },
      };
    if (new Set(fields).size !== fields.length)
      return { ok: false, problem: { error: 'invalid_group_by', message: '`group_by` names a field twice' } };
    groupBy = fields as GroupField[];
  }

  const formatText = single(query.format) ?? 'json';
  if (formatText !== 'json' && formatText !== 'csv')
    return { ok: false, problem: { error: 'invalid_format', message: '`format` must be json or csv' } };

  const days = Array.from({ length: count }, (_, index) => new Date(from + index * DAY_MS).toISOString().slice(0, 10));
  return { ok: true, query: { from: fromText as string, to: toText as string, days, groupBy, format: formatText } };
}
