import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDay, parseReportQuery } from './report-query';

const problemOf = (query: Record<string, unknown>) => {
  const parsed = parseReportQuery(query);
  return parsed.ok ? undefined : parsed.problem.error;
};

describe('parseReportQuery', () => {
  it('takes an inclusive range of UTC days, group_by media_source and JSON by default', () => {
    const parsed = parseReportQuery({ from: '2026-02-27', to: '2026-03-01' });
    assert.deepEqual(parsed, {
      ok: true,
      query: {
        from: '2026-02-27',
        to: '2026-03-01',
        days: ['2026-02-27', '2026-02-28', '2026-03-01'],
        groupBy: ['media_source'],
        format: 'json',
      },
    });
  });

  it('allows 93 days and refuses 94', () => {
    const ok = parseReportQuery({ from: '2026-01-01', to: '2026-04-03' });
    assert.equal(ok.ok && ok.query.days.length, 93);
    assert.equal(problemOf({ from: '2026-01-01', to: '2026-04-04' }), 'invalid_range');
  });

  it('refuses missing, malformed, impossible and reversed days', () => {
    for (const query of [
      {},
      { from: '2026-01-01' },
      { from: '2026-1-01', to: '2026-01-02' },
      { from: '2026-02-30', to: '2026-03-01' },
      { from: '2026-01-02T00:00:00Z', to: '2026-01-03' },
      { from: '2026-01-03', to: '2026-01-02' },
    ])
      assert.equal(problemOf(query), 'invalid_range', JSON.stringify(query));
    assert.equal(parseDay('2024-02-29'), Date.UTC(2024, 1, 29));
    assert.equal(parseDay('2026-02-29'), undefined);
  });

  it('takes any subset of the group_by fields, in the order given', () => {
    const range = { from: '2026-01-01', to: '2026-01-01' };
    const groupByOf = (group_by: string) => {
      const parsed = parseReportQuery({ ...range, group_by });
      return parsed.ok ? parsed.query.groupBy : parsed.problem.error;
    };
    assert.deepEqual(groupByOf('campaign,date'), ['campaign', 'date']);
    assert.deepEqual(groupByOf('date,media_source,campaign'), ['date', 'media_source', 'campaign']);
    assert.deepEqual(groupByOf(''), []);
    assert.equal(groupByOf('country'), 'invalid_group_by');
    assert.equal(groupByOf('date,date'), 'invalid_group_by');
  });

  it('takes json or csv only', () => {
    const range = { from: '2026-01-01', to: '2026-01-01' };
    const csv = parseReportQuery({ ...range, format: 'csv' });
    assert.equal(csv.ok && csv.query.format, 'csv');
    assert.equal(problemOf({ ...range, format: 'xml' }), 'invalid_format');
  });
});
