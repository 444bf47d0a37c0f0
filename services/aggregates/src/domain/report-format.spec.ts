import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReportRow } from './report';
import { reportCsv, reportJson } from './report-format';

const rows: ReportRow[] = [
  {
    key: ['2026-11-01', 'a,"b"\nc', null],
    impressions: 1,
    clicks: 4,
    installs: 1,
    in_app_events: 2,
    conversion_rate: 0.25,
    revenue: new Map([
      ['USD', 12_500_000n],
      ['EUR', 1n],
    ]),
  },
  {
    key: ['2026-11-02', 'organic', 'x'],
    impressions: 0,
    clicks: 0,
    installs: 3,
    in_app_events: 0,
    conversion_rate: null,
    revenue: new Map(),
  },
];
const header = {
  appId: 'com.example',
  from: '2026-11-01',
  to: '2026-11-02',
  groupBy: ['date', 'media_source', 'campaign'] as const,
};

describe('reportJson', () => {
  it('writes the §7 body with exact revenue per currency', () => {
    assert.deepEqual(JSON.parse(reportJson(header, rows)), {
      app_id: 'com.example',
      from: '2026-11-01',
      to: '2026-11-02',
      group_by: ['date', 'media_source', 'campaign'],
      rows: [
        {
          date: '2026-11-01',
          media_source: 'a,"b"\nc',
          campaign: null,
          impressions: 1,
          clicks: 4,
          installs: 1,
          conversion_rate: 0.25,
          in_app_events: 2,
          revenue: { EUR: 0.000001, USD: 12.5 },
        },
        {
          date: '2026-11-02',
          media_source: 'organic',
          campaign: 'x',
          impressions: 0,
          clicks: 0,
          installs: 3,
          conversion_rate: null,
          in_app_events: 0,
          revenue: {},
        },
      ],
    });
    assert.match(
      reportJson(header, [{ ...rows[0], revenue: new Map([['USD', 10n ** 20n + 1n]]) }]),
      /"USD":100000000000000\.000001\}/,
    );
  });
});

describe('reportCsv', () => {
  it('writes RFC 4180 CSV with a column per currency', () => {
    assert.equal(
      reportCsv(header, rows),
      'date,media_source,campaign,impressions,clicks,installs,conversion_rate,in_app_events,revenue_EUR,revenue_USD\r\n' +
        '2026-11-01,"a,""b""\nc",,1,4,1,0.25,2,0.000001,12.5\r\n' +
        '2026-11-02,organic,x,0,0,3,,0,,\r\n',
    );
  });

  it('has no revenue column without revenue, and a header without rows', () => {
    assert.equal(reportCsv({ ...header, groupBy: [] }, []), 'impressions,clicks,installs,conversion_rate,in_app_events\r\n');
  });
});
