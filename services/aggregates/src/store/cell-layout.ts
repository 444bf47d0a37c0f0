import { METRICS, type Metric } from '../domain/counting';
import { MICROS_PER_UNIT } from '../domain/micros';
import type { Cell } from '../domain/report';

/*
 * How a cell is kept in Redis. One hash per (app, UTC day); one field per (media source,
 * campaign); its value packs every counter of the cell, so a 93-day report reads one
 * field per cell and day instead of one per metric and currency:
 *
 *   "<impressions> <clicks> <installs> <in_app_events>[ <CUR> <units> <micros>]..."
 *
 * Revenue per currency is `units * 1e6 + micros` micro-units with 0 <= micros < 1e6, so the
 * Lua script adds it exactly with Lua's doubles (integers are exact below 2^53).
 */

const METRIC_INDEX: Record<Metric, number> = { impressions: 1, clicks: 2, installs: 3, in_app_events: 4 };
export const metricIndex = (metric: Metric): number => METRIC_INDEX[metric];

const escape = (text: string): string => (/[\\|]/.test(text) ? text.replace(/[\\|]/g, (char) => `\\${char}`) : text);

/** `media_source|campaign`, `\` and `|` escaped; no `|` at all when the campaign is null. */
export function cellField(mediaSource: string, campaign: string | null): string {
  return campaign === null ? escape(mediaSource) : `${escape(mediaSource)}|${escape(campaign)}`;
}

export function parseCellField(field: string): { mediaSource: string; campaign: string | null } {
  if (!field.includes('\\')) {
    const bar = field.indexOf('|');
    return bar < 0
      ? { mediaSource: field, campaign: null }
      : { mediaSource: field.slice(0, bar), campaign: field.slice(bar + 1) };
  }
  const parts: string[] = [''];
  for (let index = 0; index < field.length; index++) {
    const char = field[index];
    if (char === '\\') parts[parts.length - 1] += field[++index] ?? '';
    else if (char === '|' && parts.length === 1) parts.push('');
    else parts[parts.length - 1] += char;
  }
  return { mediaSource: parts[0], campaign: parts.length > 1 ? parts[1] : null };
}

/** Micro-units as (units, micros) with 0 <= micros < 1e6, the form the script adds. */
export function splitMicros(total: bigint): { units: bigint; micros: bigint } {
  let units = total / MICROS_PER_UNIT;
  let micros = total % MICROS_PER_UNIT;
  if (micros < 0n) {
    micros += MICROS_PER_UNIT;
    units -= 1n;
  }
  return { units, micros };
}

export function parseCellValue(day: string, field: string, value: string): Cell {
  const tokens = value.split(' ');
  const counts = {} as Cell['counts'];
  METRICS.forEach((metric, index) => (counts[metric] = Number(tokens[index])));
  const revenue = new Map<string, bigint>();
  for (let index = METRICS.length; index + 2 < tokens.length; index += 3)
    revenue.set(tokens[index], BigInt(tokens[index + 1]) * MICROS_PER_UNIT + BigInt(tokens[index + 2]));
  return { day, ...parseCellField(field), counts, revenue };
}

/** The Lua script's packing, in TypeScript: for tests and for seeding benchmarks. */
export function formatCellValue(cell: Pick<Cell, 'counts' | 'revenue'>): string {
  let text = METRICS.map((metric) => String(cell.counts[metric])).join(' ');
  for (const [currency, total] of cell.revenue) {
    const { units, micros } = splitMicros(total);
    text += ` ${currency} ${units} ${micros}`;
  }
  return text;
}
