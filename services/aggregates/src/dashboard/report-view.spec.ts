import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { GroupField, ReportRow } from '../domain/report';
import { reportCsv, reportJson } from '../domain/report-format';
import {
  checkRange,
  assignColors,
  PALETTE,
  daysOf,
  describeChart,
  displayCell,
  formatMoney,
  installsBySource,
  lastDays,
  nextSort,
  orderedGroupBy,
  problemMessage,
  reportTable,
  revenueByCurrency,
  sortRows,
  tableCsv,
  trafficByDay,
  type ApiReport,
  type ApiRow,
} from './report-view';

const row = (fields: Partial<ApiRow>): ApiRow => ({
  impressions: 0,
  clicks: 0,
  installs: 0,
  conversion_rate: null,
  in_app_events: 0,
  revenue: {},
  ...fields,
});

const days = ['2026-11-01', '2026-11-02', '2026-11-03'];
const byDateAndSource: ApiRow[] = [
  row({ date: '2026-11-01', media_source: 'facebook', clicks: 10, impressions: 100, installs: 2, revenue: { USD: 1.1 } }),
  row({ date: '2026-11-01', media_source: 'organic', installs: 5, revenue: { USD: 2.2, EUR: 0.5 } }),
  row({ date: '2026-11-03', media_source: 'facebook', clicks: 4, installs: 1 }),
  row({ date: '2026-11-03', media_source: 'tiktok', impressions: 7 }),
  // Outside the days asked for: not plotted.
  row({ date: '2026-10-31', media_source: 'facebook', installs: 99 }),
];

describe('date range', () => {
  it('"last N days" ends today (UTC) and counts today', () => {
    assert.deepEqual(lastDays(7, new Date('2026-11-22T23:59:59Z')), { from: '2026-11-16', to: '2026-11-22' });
    assert.deepEqual(lastDays(90, new Date('2026-03-01T00:00:00Z')), { from: '2025-12-02', to: '2026-03-01' });
    for (const count of [7, 30, 90]) assert.equal(daysOf(lastDays(count, new Date())).length, count);
  });

  it('takes custom ranges the API takes, and says why not otherwise', () => {
    assert.deepEqual(checkRange('2026-01-01', '2026-04-03'), { ok: true, range: { from: '2026-01-01', to: '2026-04-03' } });
    assert.match((checkRange('2026-01-01', '2026-04-04') as { message: string }).message, /94 days; at most 93/);
    assert.match((checkRange('2026-02-02', '2026-02-01') as { message: string }).message, /must not be after/);
    assert.match((checkRange('', '2026-02-01') as { message: string }).message, /both days/);
    assert.equal(checkRange('2026-02-30', '2026-03-01').ok, false);
  });

  it('lists every day of a range, across months', () => {
    assert.deepEqual(daysOf({ from: '2026-02-27', to: '2026-03-02' }), ['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
  });

  it('puts group_by fields in the contract order', () => {
    assert.deepEqual(orderedGroupBy(['campaign', 'date']), ['date', 'campaign']);
    assert.deepEqual(orderedGroupBy([]), []);
  });
});

describe('problemMessage', () => {
  it('tells a wrong token and an unknown app apart, and ends the session for both', () => {
    assert.deepEqual(problemMessage(401, { error: 'unauthorized' }, 'com.x'), {
      message: 'This API token is not valid for app “com.x”. Check the token and sign in again.',
      signOut: true,
    });
    assert.match(problemMessage(404, {}, 'com.x').message, /No app “com.x” is registered/);
    assert.equal(problemMessage(404, {}, 'com.x').signOut, true);
  });

  it('keeps the session through outages, with the reason when there is one', () => {
    assert.deepEqual(problemMessage(503, { error: 'unavailable', message: 'the counters cannot be read right now' }, 'a'), {
      message: 'The aggregates service answered 503 (the counters cannot be read right now). Retrying every 5 seconds.',
      signOut: false,
    });
    assert.match(problemMessage(0, undefined, 'a').message, /cannot be reached/);
    assert.match(problemMessage(400, { message: 'bad day' }, 'a').message, /bad day/);
  });
});

describe('chart series', () => {
  it('stacks installs per day by media source, the largest source first, zero-filled', () => {
    assert.deepEqual(installsBySource(byDateAndSource, days), {
      labels: days,
      series: [
        { label: 'organic', data: [5, 0, 0] },
        { label: 'facebook', data: [2, 0, 1] },
      ],
    });
  });

  it('sums clicks and impressions per day over sources', () => {
    assert.deepEqual(trafficByDay(byDateAndSource, days).series, [
      { label: 'Clicks', data: [10, 0, 4] },
      { label: 'Impressions', data: [100, 0, 7] },
    ]);
  });

  it('sums revenue per day per currency exactly, never converting', () => {
    const rows = [
      row({ date: '2026-11-01', revenue: { USD: 0.1 } }),
      row({ date: '2026-11-01', revenue: { USD: 0.2 } }),
      row({ date: '2026-11-02', revenue: { EUR: 3 } }),
    ];
    assert.deepEqual(revenueByCurrency(rows, days).series, [
      { label: 'EUR', data: [0, 3, 0] },
      { label: 'USD', data: [0.3, 0, 0] },
    ]);
  });

  it('describes a chart in words for screen readers', () => {
    assert.equal(
      describeChart('Installs per day', installsBySource(byDateAndSource, days)),
      'Installs per day, 2026-11-01 to 2026-11-03: organic 5; facebook 3.',
    );
    assert.equal(describeChart('Revenue', revenueByCurrency([], days)), 'Revenue, 2026-11-01 to 2026-11-03: nothing yet.');
  });

  it('gives a series the same colour whatever else is plotted, and new series unused colours', () => {
    const first = assignColors(['tiktok', 'facebook'], new Map());
    assert.deepEqual(
      [...first],
      [
        ['facebook', PALETTE[0]],
        ['tiktok', PALETTE[1]],
      ],
    );
    const second = assignColors(['google', 'tiktok'], first);
    assert.equal(second.get('tiktok'), PALETTE[1]);
    assert.equal(second.get('facebook'), PALETTE[0]);
    assert.equal(second.get('google'), PALETTE[2]);
    const many = assignColors(
      Array.from({ length: PALETTE.length }, (_, index) => `source${index}`),
      new Map(),
    );
    assert.equal(new Set(many.values()).size, PALETTE.length);
  });
});

const report: ApiReport = {
  app_id: 'com.x',
  from: '2026-11-01',
  to: '2026-11-03',
  group_by: ['media_source', 'campaign'],
  rows: [
    row({ media_source: 'facebook', campaign: null, clicks: 4, installs: 1, conversion_rate: 0.25, revenue: { USD: 0.1 } }),
    row({ media_source: 'facebook', campaign: 'spring', clicks: 6, installs: 3, conversion_rate: 0.5, in_app_events: 2 }),
    row({ media_source: 'organic', campaign: null, installs: 5, revenue: { USD: 0.2, EUR: 1e6 } }),
  ],
};

describe('reportTable', () => {
  it('has the group_by columns, the metrics and one revenue column per currency', () => {
    const table = reportTable(report);
    assert.deepEqual(
      table.columns.map((column) => column.id),
      [
        'media_source',
        'campaign',
        'impressions',
        'clicks',
        'installs',
        'conversion_rate',
        'in_app_events',
        'revenue_EUR',
        'revenue_USD',
      ],
    );
    assert.deepEqual(table.rows[2].values, ['organic', null, 0, 0, 5, null, 0, 1_000_000_000_000n, 200_000n]);
  });

  it('totals every count and revenue exactly; the total conversion rate is installs / clicks', () => {
    assert.deepEqual(reportTable(report).totals, ['Total', null, 0, 10, 9, 0.9, 2, 1_000_000_000_000n, 300_000n]);
  });

  it('has no totals row when the report is one total row', () => {
    assert.equal(reportTable({ group_by: [], rows: [row({ installs: 1 })] }).totals, null);
  });

  it('shows counts, rates, money and missing values readably', () => {
    const table = reportTable(report);
    const shown = table.rows[2].values.map((value, index) => displayCell(value, table.columns[index]));
    assert.deepEqual(shown, ['organic', '(none)', '0', '0', '5', '–', '0', '1,000,000.00', '0.20']);
    assert.equal(displayCell(0.123456, table.columns[5]), '12.35%');
    assert.equal(formatMoney(-1n), '-0.000001');
    assert.equal(formatMoney(1234567_500000n), '1,234,567.50');
  });
});

describe('sorting', () => {
  it('sorts texts A to Z and numbers largest first on the first click, then flips', () => {
    const table = reportTable(report);
    const installs = table.columns[4];
    const first = nextSort(undefined, installs);
    assert.deepEqual(first, { column: 'installs', direction: 'descending' });
    assert.deepEqual(nextSort(first, installs), { column: 'installs', direction: 'ascending' });
    assert.deepEqual(nextSort(first, table.columns[0]), { column: 'media_source', direction: 'ascending' });
    assert.deepEqual(
      sortRows(table, first).map((sorted) => sorted.values[4]),
      [5, 3, 1],
    );
    // null (no clicks) sorts below every rate.
    assert.deepEqual(
      sortRows(table, { column: 'conversion_rate', direction: 'ascending' }).map((sorted) => sorted.values[5]),
      [null, 0.25, 0.5],
    );
    assert.deepEqual(sortRows(table, undefined), table.rows);
  });

  it('returns a stable permutation of the rows, ordered by the column in either direction', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ media_source: fc.constantFrom('a', 'b', 'c'), installs: fc.nat(3), revenue: fc.option(fc.nat(5)) }),
          { maxLength: 30 },
        ),
        fc.constantFrom('media_source', 'installs', 'revenue_USD'),
        fc.constantFrom('ascending' as const, 'descending' as const),
        (generated, column, direction) => {
          const rows = generated.map((fields, index) =>
            row({
              media_source: `${fields.media_source}${index}`,
              installs: fields.installs,
              revenue: fields.revenue === null ? {} : { USD: fields.revenue },
            }),
          );
          const table = reportTable({ group_by: ['media_source'], rows });
          const index = table.columns.findIndex((candidate) => candidate.id === column);
          const sorted = sortRows(table, { column, direction });
          assert.deepEqual(
            [...sorted].sort((a, b) => (a.key < b.key ? -1 : 1)),
            [...table.rows].sort((a, b) => (a.key < b.key ? -1 : 1)),
          );
          if (index < 0) return; // no revenue at all: no such column, the API's order stands
          for (let at = 1; at < sorted.length; at++) {
            const [previous, current] = [sorted[at - 1].values[index], sorted[at].values[index]];
            const ordered =
              previous === null || (current !== null && (direction === 'ascending' ? previous <= current : previous >= current));
            const equal = previous === current;
            assert.ok(ordered || (direction === 'descending' && current === null), `${String(previous)} then ${String(current)}`);
            if (equal) assert.ok(table.rows.indexOf(sorted[at - 1]) < table.rows.indexOf(sorted[at]), 'ties keep the API order');
          }
        },
      ),
    );
  });
});

describe('tableCsv', () => {
  it('quotes what RFC 4180 needs and leaves empty fields for missing values', () => {
    const table = reportTable({
      group_by: ['campaign'],
      rows: [
        row({ campaign: 'a,"b"\nc', clicks: 2, installs: 1, conversion_rate: 0.5, revenue: { USD: 12.5 } }),
        row({ campaign: null }),
      ],
    });
    assert.equal(
      tableCsv(table.columns, table.rows),
      'campaign,impressions,clicks,installs,conversion_rate,in_app_events,revenue_USD\r\n' +
        '"a,""b""\nc",0,2,1,0.5,0,12.5\r\n' +
        ',0,0,0,,0,\r\n',
    );
  });

  // NOTE: line breaks inside a field are left out: csv-stringify (the API) quotes only a field holding
  // the whole CRLF record delimiter, so a lone CR or LF goes out unquoted there; the page quotes it (RFC 4180).
  it('is byte for byte the API’s own CSV of the same rows (§7 format=csv)', () => {
    const text = fc.string({ maxLength: 6, unit: fc.constantFrom('a', 'b', ',', '"', ' ', 'é') });
    const serverRow = fc.record({
      key: fc.tuple(fc.constantFrom('2026-11-01', '2026-11-02'), text, fc.option(text)),
      impressions: fc.nat(1000),
      clicks: fc.nat(1000),
      installs: fc.nat(1000),
      in_app_events: fc.nat(1000),
      revenue: fc
        .dictionary(fc.constantFrom('USD', 'EUR', 'JPY'), fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }))
        .map((entries) => new Map(Object.entries(entries))),
    });
    const groupBy = fc.subarray(['date', 'media_source', 'campaign'] as GroupField[]);
    fc.assert(
      fc.property(fc.array(serverRow, { maxLength: 8 }), groupBy, (generated, fields) => {
        const rows: ReportRow[] = generated.map((generatedRow) => ({
          ...generatedRow,
          key: fields.map((field) => generatedRow.key[['date', 'media_source', 'campaign'].indexOf(field)]),
          conversion_rate: generatedRow.clicks === 0 ? null : generatedRow.installs / generatedRow.clicks,
        }));
        const header = { appId: 'com.x', from: '2026-11-01', to: '2026-11-02', groupBy: fields };
        const table = reportTable(JSON.parse(reportJson(header, rows)) as ApiReport);
        assert.equal(tableCsv(table.columns, table.rows), reportCsv(header, rows));
      }),
    );
  });
});
