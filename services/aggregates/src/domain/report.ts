import type { Metric } from './counting';

export const GROUP_FIELDS = ['date', 'media_source', 'campaign'] as const;
export type GroupField = (typeof GROUP_FIELDS)[number];

/** What one (app, day, media source, campaign) has counted. */
export interface Cell {
  day: string;
  mediaSource: string;
  campaign: string | null;
  counts: Record<Metric, number>;
  /** Micro-units per ISO 4217 currency. */
  revenue: Map<string, bigint>;
}

/** One row of the §7 report, before it is written as JSON or CSV. */
export interface ReportRow {
  /** The group_by fields' values, in group_by order. */
  key: (string | null)[];
  impressions: number;
  clicks: number;
  installs: number;
  in_app_events: number;
  /** installs / clicks; null when clicks is 0. */
  conversion_rate: number | null;
  revenue: Map<string, bigint>;
}

const valueOf = (cell: Cell, field: GroupField): string | null =>
  field === 'date' ? cell.day : field === 'media_source' ? cell.mediaSource : cell.campaign;

/** Code-unit order, null first: the same on every machine, unlike localeCompare. */
export function compareKeys(left: (string | null)[], right: (string | null)[]): number {
  for (let index = 0; index < left.length; index++) {
    const a = left[index];
    const b = right[index];
    if (a === b) continue;
    if (a === null) return -1;
    if (b === null) return 1;
    return a < b ? -1 : 1;
  }
  return 0;
}

/**
 * Contracts §7: sums the cells per group_by key, adds the conversion rate, and sorts the
 * rows by the group_by fields in the order they were asked for.
 */
export function buildReport(cells: Iterable<Cell>, groupBy: readonly GroupField[]): ReportRow[] {
  const groups = new Map<string, ReportRow>();
  for (const cell of cells) {
    const key = groupBy.map((field) => valueOf(cell, field));
    // JSON keeps null apart from "null" and any separator character inside a value.
    const id = JSON.stringify(key);
    let row = groups.get(id);
    if (!row) {
      row = { key, impressions: 0, clicks: 0, installs: 0, in_app_events: 0, conversion_rate: null, revenue: new Map() };
      groups.set(id, row);
    }
    row.impressions += cell.counts.impressions;
    row.clicks += cell.counts.clicks;
    row.installs += cell.counts.installs;
    row.in_app_events += cell.counts.in_app_events;
    for (const [currency, micros] of cell.revenue) row.revenue.set(currency, (row.revenue.get(currency) ?? 0n) + micros);
  }
  const rows = [...groups.values()];
  for (const row of rows) row.conversion_rate = row.clicks === 0 ? null : row.installs / row.clicks;
  return rows.sort((a, b) => compareKeys(a.key, b.key));
}
