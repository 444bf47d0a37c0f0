/**
 * The dashboard's data shaping: §7 report rows -> chart series, table rows, totals, sorting and
 * CSV. Pure functions over plain data, shared by the browser page (bundled by esbuild) and its
 * unit specs; nothing here touches the DOM or Node.
 */
import { microsToDecimal, toMicros } from '../domain/micros';
import { GROUP_FIELDS, type GroupField } from '../domain/report';
import { MAX_RANGE_DAYS, parseDay } from '../domain/report-query';

export { GROUP_FIELDS, MAX_RANGE_DAYS, type GroupField };

/** One row of the §7 JSON body: the group_by fields that were asked for, then the metrics. */
export interface ApiRow {
  date?: string;
  media_source?: string;
  campaign?: string | null;
  impressions: number;
  clicks: number;
  installs: number;
  conversion_rate: number | null;
  in_app_events: number;
  revenue: Record<string, number>;
}

export interface ApiReport {
  app_id: string;
  from: string;
  to: string;
  group_by: GroupField[];
  rows: ApiRow[];
}

const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------------------------
// Date range

export interface DayRange {
  from: string;
  to: string;
}

export const PRESET_DAYS = [7, 30, 90] as const;

/** The last `days` UTC days, today included: what "last 7 days" means on the page. */
export function lastDays(days: number, now: Date): DayRange {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return { from: dayText(today - (days - 1) * DAY_MS), to: dayText(today) };
}

const dayText = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** A custom range as the API will take it (§6/§7: real days, from <= to, at most 93 days), or why not. */
export function checkRange(from: string, to: string): { ok: true; range: DayRange } | { ok: false; message: string } {
  const start = parseDay(from);
  const end = parseDay(to);
  if (start === undefined || end === undefined) return { ok: false, message: 'Enter both days of the range.' };
  if (start > end) return { ok: false, message: 'The first day must not be after the last day.' };
  const count = (end - start) / DAY_MS + 1;
  if (count > MAX_RANGE_DAYS)
    return { ok: false, message: `The range covers ${count} days; at most ${MAX_RANGE_DAYS} days can be shown.` };
  return { ok: true, range: { from, to } };
}

/** Every UTC day of the range, in order. */
export function daysOf(range: DayRange): string[] {
  const start = parseDay(range.from)!;
  const end = parseDay(range.to)!;
  const days: string[] = [];
  for (let ms = start; ms <= end; ms += DAY_MS) days.push(dayText(ms));
  return days;
}

/** The group_by fields in the contract's order, whatever order they were ticked in. */
export const orderedGroupBy = (fields: Iterable<string>): GroupField[] => {
  const chosen = new Set(fields);
  return GROUP_FIELDS.filter((field) => chosen.has(field));
};

// ---------------------------------------------------------------------------------------------
// API answers

/** What the page says for an answer other than 200; `signOut` when the session cannot go on. */
export function problemMessage(status: number, body: unknown, appId: string): { message: string; signOut: boolean } {
  const detail =
    typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string'
      ? (body as { message: string }).message
      : undefined;
  if (status === 401)
    return { message: `This API token is not valid for app “${appId}”. Check the token and sign in again.`, signOut: true };
  if (status === 404) return { message: `No app “${appId}” is registered. Check the app id.`, signOut: true };
  if (status === 400) return { message: `The report could not be asked for: ${detail ?? 'bad request'}.`, signOut: false };
  if (status === 0) return { message: 'The aggregates service cannot be reached. Retrying every 5 seconds.', signOut: false };
  return {
    message: `The aggregates service answered ${status}${detail ? ` (${detail})` : ''}. Retrying every 5 seconds.`,
    signOut: false,
  };
}

// ---------------------------------------------------------------------------------------------
// Charts

export interface Series {
  label: string;
  data: number[];
}

export interface ChartData {
  labels: string[];
  series: Series[];
}

const add = (totals: Map<string, number[]>, label: string, length: number, index: number, value: number) => {
  let data = totals.get(label);
  if (!data) totals.set(label, (data = new Array<number>(length).fill(0)));
  data[index] += value;
};

function perDay(
  rows: readonly ApiRow[],
  days: readonly string[],
  each: (row: ApiRow, put: (label: string, value: number) => void) => void,
) {
  const index = new Map(days.map((day, position) => [day, position]));
  const totals = new Map<string, number[]>();
  for (const row of rows) {
    const position = row.date === undefined ? undefined : index.get(row.date);
    if (position === undefined) continue;
    each(row, (label, value) => add(totals, label, days.length, position, value));
  }
  return totals;
}

const sum = (data: readonly number[]): number => data.reduce((total, value) => total + value, 0);

/**
 * Installs per day, one series per media source (rows grouped by date and media source), the
 * largest source first so that it sits at the bottom of the stack; ties by name. Sources with no
 * install in the range are left out.
 */
export function installsBySource(rows: readonly ApiRow[], days: readonly string[]): ChartData {
  const totals = perDay(rows, days, (row, put) => row.installs > 0 && put(row.media_source ?? 'unknown', row.installs));
  const series = [...totals].map(([label, data]) => ({ label, data }));
  series.sort((a, b) => sum(b.data) - sum(a.data) || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  return { labels: [...days], series };
}

/** Clicks and impressions per day, over every media source. */
export function trafficByDay(rows: readonly ApiRow[], days: readonly string[]): ChartData {
  const totals = perDay(rows, days, (row, put) => {
    put('Clicks', row.clicks);
    put('Impressions', row.impressions);
  });
  const empty = () => new Array<number>(days.length).fill(0);
  return {
    labels: [...days],
    series: [
      { label: 'Clicks', data: totals.get('Clicks') ?? empty() },
      { label: 'Impressions', data: totals.get('Impressions') ?? empty() },
    ],
  };
}

/**
 * Revenue per day, one series per currency in alphabetical order, never converted. Each day's
 * sum is exact (micro-units) before it becomes a number to plot.
 */
export function revenueByCurrency(rows: readonly ApiRow[], days: readonly string[]): ChartData {
  const index = new Map(days.map((day, position) => [day, position]));
  const micros = new Map<string, bigint[]>();
  for (const row of rows) {
    const position = row.date === undefined ? undefined : index.get(row.date);
    if (position === undefined) continue;
    for (const [currency, value] of Object.entries(row.revenue)) {
      let data = micros.get(currency);
      if (!data) micros.set(currency, (data = new Array<bigint>(days.length).fill(0n)));
      data[position] += toMicros(value);
    }
  }
  return {
    labels: [...days],
    series: [...micros.keys()].sort().map((currency) => ({
      label: currency,
      data: micros.get(currency)!.map((value) => Number(microsToDecimal(value))),
    })),
  };
}

/** A short text of a chart for screen readers (the canvas's label): totals per series. */
export function describeChart(title: string, chart: ChartData, format: (value: number) => string = formatCount): string {
  const range = chart.labels.length > 0 ? `${chart.labels[0]} to ${chart.labels[chart.labels.length - 1]}` : 'no days';
  if (chart.series.length === 0) return `${title}, ${range}: nothing yet.`;
  return `${title}, ${range}: ${chart.series.map((series) => `${series.label} ${format(sum(series.data))}`).join('; ')}.`;
}

/** Colour-blind-safe palette (Okabe–Ito, then Tableau 10 tones). */
export const PALETTE = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
  '#9c755f',
  '#76b7b2',
  '#b07aa1',
  '#F0E442',
  '#bab0ac',
  '#000000',
];

/**
 * Colours for the series, keeping every colour already given: a series keeps its colour across
 * refreshes whatever other series come and go. New names (in name order) take the least used
 * colour, so no two series share one while the palette lasts.
 */
export function assignColors(labels: Iterable<string>, given: ReadonlyMap<string, string>): Map<string, string> {
  const colors = new Map(given);
  const uses = new Map(PALETTE.map((color) => [color, 0]));
  for (const color of colors.values()) uses.set(color, (uses.get(color) ?? 0) + 1);
  for (const label of [...new Set(labels)].sort()) {
    if (colors.has(label)) continue;
    const least = PALETTE.reduce((best, color) => (uses.get(color)! < uses.get(best)! ? color : best));
    colors.set(label, least);
    uses.set(least, uses.get(least)! + 1);
  }
  return colors;
}

// ---------------------------------------------------------------------------------------------
// Table

export type CellValue = string | number | bigint | null;

export interface Column {
  /** The API's CSV column name: a group_by field, a metric, or `revenue_<CURRENCY>`. */
  id: string;
  label: string;
  kind: 'text' | 'count' | 'rate' | 'money';
}

export interface TableRow {
  /** The group_by values, as one string: the row's identity across refreshes. */
  key: string;
  values: CellValue[];
}

export interface ReportTable {
  columns: Column[];
  rows: TableRow[];
  /** null without group_by fields: the one row is the total. */
  totals: CellValue[] | null;
}

const FIELD_LABELS: Record<GroupField, string> = { date: 'Date', media_source: 'Media source', campaign: 'Campaign' };
const METRICS = [
  { id: 'impressions', label: 'Impressions', kind: 'count' },
  { id: 'clicks', label: 'Clicks', kind: 'count' },
  { id: 'installs', label: 'Installs', kind: 'count' },
  { id: 'conversion_rate', label: 'Conversion rate', kind: 'rate' },
  { id: 'in_app_events', label: 'In-app events', kind: 'count' },
] as const satisfies readonly Column[];

/**
 * The report as a table: the group_by columns, the metrics, then one revenue column per currency
 * present (alphabetical), in the API's row order. Totals sum every count and revenue exactly;
 * their conversion rate is total installs / total clicks.
 */
export function reportTable(report: Pick<ApiReport, 'group_by' | 'rows'>): ReportTable {
  const currencies = [...new Set(report.rows.flatMap((row) => Object.keys(row.revenue)))].sort();
  const columns: Column[] = [
    ...report.group_by.map((field): Column => ({ id: field, label: FIELD_LABELS[field], kind: 'text' })),
    ...METRICS,
    ...currencies.map((currency): Column => ({ id: `revenue_${currency}`, label: `Revenue ${currency}`, kind: 'money' })),
  ];
  const rows = report.rows.map((row): TableRow => {
    const key = report.group_by.map((field) => row[field] ?? null);
    return {
      key: JSON.stringify(key),
      values: [
        ...key,
        row.impressions,
        row.clicks,
        row.installs,
        row.conversion_rate,
        row.in_app_events,
        ...currencies.map((currency) => (currency in row.revenue ? toMicros(row.revenue[currency]) : null)),
      ],
    };
  });
  const fields = report.group_by.length;
  if (fields === 0) return { columns, rows, totals: null };
  const totals: CellValue[] = columns.map(() => null);
  totals[0] = 'Total';
  const countOf = (id: string) => report.rows.reduce((total, row) => total + (row[id as 'clicks'] as number), 0);
  for (const [offset, metric] of METRICS.entries()) if (metric.kind === 'count') totals[fields + offset] = countOf(metric.id);
  const clicks = countOf('clicks');
  totals[fields + 3] = clicks === 0 ? null : countOf('installs') / clicks;
  currencies.forEach((currency, offset) => {
    totals[fields + METRICS.length + offset] = report.rows.reduce(
      (total, row) => total + (currency in row.revenue ? toMicros(row.revenue[currency]) : 0n),
      0n,
    );
  });
  return { columns, rows, totals };
}

export type SortDirection = 'ascending' | 'descending';

export interface SortOrder {
  column: string;
  direction: SortDirection;
}

/** Texts go A to Z first, numbers largest first: what one usually wants from a first click. */
export function nextSort(current: SortOrder | undefined, column: Column): SortOrder {
  if (current?.column === column.id)
    return { column: column.id, direction: current.direction === 'ascending' ? 'descending' : 'ascending' };
  return { column: column.id, direction: column.kind === 'text' ? 'ascending' : 'descending' };
}

/** null before any value, then by value (code-unit order for texts, like the API). */
export function compareCells(a: CellValue, b: CellValue): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (typeof a === 'string' || typeof b === 'string') return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A sorted copy; equal values keep the API's order (stable), in either direction. No order: the API's order. */
export function sortRows(table: ReportTable, order: SortOrder | undefined): TableRow[] {
  const index = order ? table.columns.findIndex((column) => column.id === order.column) : -1;
  if (index < 0) return [...table.rows];
  const sign = order!.direction === 'ascending' ? 1 : -1;
  return table.rows
    .map((row, position) => ({ row, position }))
    .sort((a, b) => sign * compareCells(a.row.values[index], b.row.values[index]) || a.position - b.position)
    .map(({ row }) => row);
}

// ---------------------------------------------------------------------------------------------
// Display and CSV

const counts = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
export const formatCount = (value: number): string => counts.format(value);
const rates = new Intl.NumberFormat('en-US', { style: 'percent', minimumFractionDigits: 2, maximumFractionDigits: 2 });
export const formatRate = (value: number): string => rates.format(value);

/** Micro-units with thousands separators and at least two decimals: 12500000n is "12.50". */
export function formatMoney(micros: bigint): string {
  const [whole, fraction = ''] = microsToDecimal(micros).split('.');
  const negative = whole.startsWith('-');
  const digits = negative ? whole.slice(1) : whole;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${grouped}.${fraction.padEnd(2, '0')}`;
}

/** What a cell shows. */
export function displayCell(value: CellValue, column: Column): string {
  if (value === null) return column.kind === 'text' ? '(none)' : '–';
  if (column.kind === 'text') return String(value);
  if (column.kind === 'rate') return formatRate(value as number);
  if (column.kind === 'money') return formatMoney(value as bigint);
  return formatCount(value as number);
}

const csvField = (text: string): string => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);

function csvValue(value: CellValue): string {
  if (value === null) return '';
  if (typeof value === 'bigint') return microsToDecimal(value);
  return String(value);
}

/**
 * The rows as shown (in their current order) as RFC 4180 CSV with CRLF line ends, in the API's
 * own CSV layout (§7 `format=csv`): the same header names and value texts, so a download and an
 * export of the same rows in the same order are the same bytes. The totals row is not a data row
 * and is left out.
 */
export function tableCsv(columns: readonly Column[], rows: readonly TableRow[]): string {
  const lines = [
    columns.map((column) => csvField(column.id)),
    ...rows.map((row) => row.values.map((value) => csvField(csvValue(value)))),
  ];
  return lines.map((fields) => `${fields.join(',')}\r\n`).join('');
}

/** The download's file name. */
export const csvFileName = (appId: string, range: DayRange): string =>
  `aggregates-${appId.replace(/[^A-Za-z0-9._-]/g, '_')}-${range.from}-${range.to}.csv`;
