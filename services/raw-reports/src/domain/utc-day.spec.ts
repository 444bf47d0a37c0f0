import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isExpired, utcDayOf } from './utc-day';

describe('utcDayOf', () => {
  it('is the UTC date of the instant, for any instant', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2200, 0, 1) }), (ms) => {
        const instant = new Date(ms).toISOString();
        const day = utcDayOf(instant);
        assert.equal(day, instant.slice(0, 10));
        assert.ok(Date.parse(`${day}T00:00:00.000Z`) <= ms && ms < Date.parse(`${day}T00:00:00.000Z`) + 86_400_000);
      }),
    );
  });
});

describe('isExpired', () => {
  it('keeps today and the N days before it, and deletes older days', () => {
    assert.ok(!isExpired('2026-11-22', '2026-11-22', 1));
    assert.ok(!isExpired('2026-11-21', '2026-11-22', 1));
    assert.ok(isExpired('2026-11-20', '2026-11-22', 1));
    assert.ok(!isExpired('2026-08-24', '2026-11-22', 90));
    assert.ok(isExpired('2026-08-23', '2026-11-22', 90));
  });
});
