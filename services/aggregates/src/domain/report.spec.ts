import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { buildReport, GROUP_FIELDS, type Cell, type GroupField, type ReportRow } from './report';

const cell = (
  day: string,
  mediaSource: string,
  campaign: string | null,
  counts: Partial<Cell['counts']>,
  revenue: [string, bigint][] = [],
): Cell => ({
  day,
  mediaSource,
  campaign,
  counts: { impressions: 0, clicks: 0, installs: 0, in_app_events: 0, ...counts },
  revenue: new Map(revenue),
});

const cells = [
  cell('2026-11-02', 'organic', null, { installs: 10, in_app_events: 30 }, [['USD', 12_500_000n]]),
  cell('2026-11-01', 'fb', 'b', { clicks: 4, installs: 1, impressions: 7 }),
  cell('2026-11-01', 'fb', 'a', { clicks: 4, installs: 2 }, [
    ['EUR', 1n],
    ['USD', 2n],
  ]),
  cell('2026-11-02', 'fb', 'a', { clicks: 0, installs: 3 }),
];

describe('buildReport', () => {
  it('groups by media source by default shape, with the conversion rate and revenue per currency', () => {
    const rows = buildReport(cells, ['media_source']);
    assert.deepEqual(
      rows.map((row) => [
        row.key,
        row.impressions,
        row.clicks,
        row.installs,
        row.conversion_rate,
        row.in_app_events,
        [...row.revenue],
      ]),
      [
        [
          ['fb'],
          7,
          8,
          6,
          0.75,
          0,
          [
            ['EUR', 1n],
            ['USD', 2n],
          ],
        ],
        [['organic'], 0, 0, 10, null, 30, [['USD', 12_500_000n]]],
      ],
    );
  });

  it('sorts rows by the group_by fields in the order asked, null campaign first', () => {
    assert.deepEqual(
      buildReport(cells, ['campaign', 'date']).map((row) => row.key),
      [
        [null, '2026-11-02'],
        ['a', '2026-11-01'],
        ['a', '2026-11-02'],
        ['b', '2026-11-01'],
      ],
    );
    assert.deepEqual(
      buildReport(cells, ['date', 'media_source', 'campaign']).map((row) => row.key),
      [
        ['2026-11-01', 'fb', 'a'],
        ['2026-11-01', 'fb', 'b'],
        ['2026-11-02', 'fb', 'a'],
        ['2026-11-02', 'organic', null],
      ],
    );
  });

  it('gives one total row for an empty group_by, and no rows without data', () => {
    const [total] = buildReport(cells, []);
    assert.deepEqual([total.key, total.clicks, total.installs, total.impressions], [[], 8, 16, 7]);
    assert.deepEqual(buildReport([], ['date']), []);
  });

  it('keeps a campaign named "null" apart from no campaign', () => {
    const rows = buildReport(
      [cell('2026-11-01', 'x', null, { clicks: 1 }), cell('2026-11-01', 'x', 'null', { clicks: 1 })],
      ['campaign'],
    );
    assert.deepEqual(
      rows.map((row) => row.key),
      [[null], ['null']],
    );
  });
});

const day = fc.integer({ min: 1, max: 5 }).map((n) => `2026-11-0${n}`);
const name = fc.constantFrom('fb', 'g', 'tt', 'organic', 'a|b', '');
const arbitraryCell = fc
  .record({
    day,
    mediaSource: name,
    campaign: fc.option(name, { nil: null }),
    counts: fc.record({
      impressions: fc.nat(1000),
      clicks: fc.nat(1000),
      installs: fc.nat(1000),
      in_app_events: fc.nat(1000),
    }),
    revenue: fc.array(fc.tuple(fc.constantFrom('USD', 'EUR', 'JPY'), fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n })), {
      maxLength: 2,
    }),
  })
  .map((c): Cell => ({ ...c, revenue: new Map(c.revenue) }));
const groupBy = fc.subarray([...GROUP_FIELDS]).chain((fields) => fc.shuffledSubarray(fields, { minLength: fields.length }));

const totalsOf = (rows: ReportRow[]) => {
  const revenue = new Map<string, bigint>();
  for (const row of rows)
    for (const [currency, micros] of row.revenue) revenue.set(currency, (revenue.get(currency) ?? 0n) + micros);
  return {
    impressions: rows.reduce((sum, row) => sum + row.impressions, 0),
    clicks: rows.reduce((sum, row) => sum + row.clicks, 0),
    installs: rows.reduce((sum, row) => sum + row.installs, 0),
    in_app_events: rows.reduce((sum, row) => sum + row.in_app_events, 0),
    revenue: [...revenue].sort(),
  };
};

describe('buildReport properties', () => {
  it('summing the rows of any grouping gives the ungrouped total', () => {
    fc.assert(
      fc.property(fc.array(arbitraryCell, { maxLength: 40 }), groupBy, (input, fields: GroupField[]) => {
        assert.deepEqual(totalsOf(buildReport(input, fields)), totalsOf(buildReport(input, [])));
      }),
    );
  });

  it('does not depend on the order of the cells', () => {
    fc.assert(
      fc.property(
        fc
          .array(arbitraryCell, { maxLength: 40 })
          .chain((input) => fc.tuple(fc.constant(input), fc.shuffledSubarray(input, { minLength: input.length }))),
        groupBy,
        ([input, shuffled], fields: GroupField[]) => {
          assert.deepEqual(buildReport(shuffled, fields), buildReport(input, fields));
        },
      ),
    );
  });

  it('gives sorted rows with distinct keys, and a conversion rate only where there are clicks', () => {
    fc.assert(
      fc.property(fc.array(arbitraryCell, { maxLength: 40 }), groupBy, (input, fields: GroupField[]) => {
        const rows = buildReport(input, fields);
        const keys = rows.map((row) => JSON.stringify(row.key));
        assert.equal(new Set(keys).size, keys.length);
        for (let index = 1; index < rows.length; index++) {
          const [a, b] = [rows[index - 1].key, rows[index].key];
          const first = a.findIndex((value, at) => value !== b[at]);
          assert.ok(first >= 0 && (a[first] === null || (b[first] !== null && a[first]! < b[first]!)));
        }
        for (const row of rows) assert.equal(row.conversion_rate, row.clicks === 0 ? null : row.installs / row.clicks);
      }),
    );
  });
});
