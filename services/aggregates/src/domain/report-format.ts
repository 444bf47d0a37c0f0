import { stringify } from 'csv-stringify/sync';
import { microsToDecimal } from './micros';
import type { GroupField, ReportRow } from './report';

export interface ReportHeader {
  appId: string;
  from: string;
  to: string;
  groupBy: readonly GroupField[];
}

const currenciesOf = (revenue: Map<string, bigint>): string[] => [...revenue.keys()].sort();

/**
 * The §7 JSON body. Written by hand so that revenue goes out as the exact decimal of its
 * micro-units (a JSON number of any size), never through a float.
 */
export function reportJson(header: ReportHeader, rows: readonly ReportRow[]): string {
  const parts: string[] = [];
  for (const row of rows) {
    let text = '{';
    header.groupBy.forEach((field, index) => (text += `${JSON.stringify(field)}:${JSON.stringify(row.key[index])},`));
    text += `"impressions":${row.impressions},"clicks":${row.clicks},"installs":${row.installs},`;
    text += `"conversion_rate":${row.conversion_rate === null ? 'null' : JSON.stringify(row.conversion_rate)},`;
    text += `"in_app_events":${row.in_app_events},"revenue":{`;
    text += currenciesOf(row.revenue)
      .map((currency) => `${JSON.stringify(currency)}:${microsToDecimal(row.revenue.get(currency)!)}`)
      .join(',');
    parts.push(`${text}}}`);
  }
  return (
    `{"app_id":${JSON.stringify(header.appId)},"from":${JSON.stringify(header.from)},"to":${JSON.stringify(header.to)},` +
    `"group_by":${JSON.stringify(header.groupBy)},"rows":[${parts.join(',')}]}`
  );
}

/**
 * The §7 report as RFC 4180 CSV. Columns: the group_by fields, impressions, clicks,
 * installs, conversion_rate, in_app_events, then `revenue_<CURRENCY>` for each currency
 * present in the result, in alphabetical order (empty where a row has none of it).
 */
export function reportCsv(header: ReportHeader, rows: readonly ReportRow[]): string {
  const currencies = [...new Set(rows.flatMap((row) => [...row.revenue.keys()]))].sort();
  const columns = [
    ...header.groupBy,
    'impressions',
    'clicks',
    'installs',
    'conversion_rate',
    'in_app_events',
    ...currencies.map((currency) => `revenue_${currency}`),
  ];
  const records = rows.map((row) => [
    ...row.key.map((value) => value ?? ''),
    String(row.impressions),
    String(row.clicks),
    String(row.installs),
    row.conversion_rate === null ? '' : String(row.conversion_rate),
    String(row.in_app_events),
    ...currencies.map((currency) => {
      const micros = row.revenue.get(currency);
      return micros === undefined ? '' : microsToDecimal(micros);
    }),
  ]);
  return stringify([columns, ...records], { record_delimiter: 'windows' });
}
