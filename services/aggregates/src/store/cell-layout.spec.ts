import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { cellField, formatCellValue, parseCellField, parseCellValue, splitMicros } from './cell-layout';

describe('cell fields', () => {
  it('write media source and campaign, escaping the separator', () => {
    assert.equal(cellField('fb', 'winter'), 'fb|winter');
    assert.equal(cellField('fb', null), 'fb');
    assert.equal(cellField('fb', ''), 'fb|');
    assert.equal(cellField('a|b', 'c\\d'), 'a\\|b|c\\\\d');
    assert.deepEqual(parseCellField('a\\|b|c\\\\d'), { mediaSource: 'a|b', campaign: 'c\\d' });
  });

  it('read back exactly what they wrote (property)', () => {
    const text = fc.string({ unit: fc.constantFrom('a', '|', '\\', 'é', ' ', 'z'), maxLength: 12 });
    fc.assert(
      fc.property(text, fc.option(text, { nil: null }), (mediaSource, campaign) => {
        assert.deepEqual(parseCellField(cellField(mediaSource, campaign)), { mediaSource, campaign });
      }),
    );
  });
});

describe('cell values', () => {
  it('pack the counters and revenue per currency', () => {
    const cell = parseCellValue('2026-11-01', 'fb|w', '1 2 3 4 USD 12 500000 EUR -1 999999');
    assert.deepEqual(cell, {
      day: '2026-11-01',
      mediaSource: 'fb',
      campaign: 'w',
      counts: { impressions: 1, clicks: 2, installs: 3, in_app_events: 4 },
      revenue: new Map([
        ['USD', 12_500_000n],
        ['EUR', -1n],
      ]),
    });
    assert.equal(formatCellValue(cell), '1 2 3 4 USD 12 500000 EUR -1 999999');
  });

  it('split micro-units into units and a non-negative remainder (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }), (total) => {
        const { units, micros } = splitMicros(total);
        assert.ok(micros >= 0n && micros < 1_000_000n);
        assert.equal(units * 1_000_000n + micros, total);
      }),
    );
  });
});
