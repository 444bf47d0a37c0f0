import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checkExportQuery, isAuthorized, MAX_RANGE_DAYS } from './export-request';
import { dayOfMs } from './utc-day';

const DAY = 86_400_000;

describe('checkExportQuery', () => {
  it('accepts a range of 1 to 93 days and refuses a longer one, whatever the start', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0, 1) / DAY, max: Date.UTC(2100, 0, 1) / DAY }),
        fc.integer({ min: 1, max: 400 }),
        (start, length) => {
          const from = dayOfMs(start * DAY);
          const to = dayOfMs((start + length - 1) * DAY);
          const checked = checkExportQuery({ from, to });
          if (length <= MAX_RANGE_DAYS) {
            assert.ok(checked.ok);
            assert.equal(checked.value.days.length, length);
            assert.equal(checked.value.days[0], from);
            assert.equal(checked.value.days[length - 1], to);
            assert.equal(checked.value.format, 'csv');
          } else {
            assert.ok(!checked.ok);
            assert.equal(checked.error, 'range_too_long');
          }
        },
      ),
    );
  });

  it('refuses missing, malformed, impossible and reversed days, and unknown formats', () => {
    const error = (query: Record<string, unknown>) => {
      const checked = checkExportQuery(query);
      return checked.ok ? undefined : checked.error;
    };
    assert.equal(error({ to: '2026-11-01' }), 'invalid_range');
    assert.equal(error({ from: '2026-11-01' }), 'invalid_range');
    assert.equal(error({ from: '2026-11-1', to: '2026-11-02' }), 'invalid_range');
    assert.equal(error({ from: '2026-02-30', to: '2026-03-02' }), 'invalid_range');
    assert.equal(error({ from: '2026-11-01T00:00:00Z', to: '2026-11-02' }), 'invalid_range');
    assert.equal(error({ from: ['2026-11-01'], to: '2026-11-02' }), 'invalid_range');
    assert.equal(error({ from: '2026-11-03', to: '2026-11-02' }), 'invalid_range');
    assert.equal(error({ from: '2026-11-01', to: '2026-11-02', format: 'xml' }), 'invalid_format');
    assert.equal(error({ from: '2026-11-01', to: '2026-11-02', format: 'jsonl' }), undefined);
    assert.equal(error({ from: '2024-02-29', to: '2024-02-29' }), undefined);
  });

  it('counts days across a year end: 2026-10-01 to 2027-01-01 is 93 days', () => {
    const checked = checkExportQuery({ from: '2026-10-01', to: '2027-01-01' });
    assert.ok(checked.ok);
    assert.equal(checked.value.days.length, 93);
    assert.ok(!checkExportQuery({ from: '2026-09-30', to: '2027-01-01' }).ok);
  });
});

describe('isAuthorized', () => {
  const token = 't_secret';
  const sha = createHash('sha256').update(token).digest('hex');

  it('takes the Bearer token whose sha256 is the app’s', () => {
    assert.ok(isAuthorized(`Bearer ${token}`, sha));
    assert.ok(isAuthorized(`bearer ${token}`, sha));
  });

  it('refuses another token, no token, another scheme, and the hash itself', () => {
    assert.ok(!isAuthorized('Bearer t_other', sha));
    assert.ok(!isAuthorized(undefined, sha));
    assert.ok(!isAuthorized('', sha));
    assert.ok(!isAuthorized(`Basic ${token}`, sha));
    assert.ok(!isAuthorized(`Bearer ${sha}`, sha));
    assert.ok(!isAuthorized(`Bearer ${token} extra`, sha));
  });
});
