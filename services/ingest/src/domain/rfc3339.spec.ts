import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRfc3339 } from './rfc3339';

describe('parseRfc3339', () => {
  it('reads UTC, offsets and fractions to the millisecond', () => {
    assert.equal(parseRfc3339('2026-11-22T10:00:00Z'), Date.UTC(2026, 10, 22, 10, 0, 0));
    assert.equal(parseRfc3339('2026-11-22T10:00:00.5Z'), Date.UTC(2026, 10, 22, 10, 0, 0, 500));
    assert.equal(parseRfc3339('2026-11-22T10:00:00.123456789Z'), Date.UTC(2026, 10, 22, 10, 0, 0, 123));
    assert.equal(parseRfc3339('2026-11-22T10:00:00+01:30'), Date.UTC(2026, 10, 22, 8, 30, 0));
    assert.equal(parseRfc3339('2026-11-22T10:00:00-05:00'), Date.UTC(2026, 10, 22, 15, 0, 0));
    assert.equal(parseRfc3339('2026-11-22t10:00:00z'), Date.UTC(2026, 10, 22, 10, 0, 0));
    assert.equal(parseRfc3339('2026-11-22 10:00:00Z'), Date.UTC(2026, 10, 22, 10, 0, 0));
  });

  it('agrees with Date.parse on what both accept', () => {
    for (let i = 0; i < 500; i++) {
      const instant = new Date(Date.UTC(1990, 0, 1) + Math.floor(Math.random() * 2e12)).toISOString();
      assert.equal(parseRfc3339(instant), Date.parse(instant), instant);
    }
  });

  it('knows month lengths and leap years', () => {
    assert.equal(parseRfc3339('2024-02-29T00:00:00Z'), Date.UTC(2024, 1, 29));
    assert.equal(parseRfc3339('2000-02-29T00:00:00Z'), Date.UTC(2000, 1, 29));
    for (const text of [
      '2026-02-29T00:00:00Z',
      '1900-02-29T00:00:00Z',
      '2026-04-31T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-00-01T00:00:00Z',
      '2026-01-00T00:00:00Z',
    ]) {
      assert.equal(parseRfc3339(text), undefined, text);
    }
  });

  it('reads a leap second as the last millisecond of its minute', () => {
    assert.equal(parseRfc3339('2016-12-31T23:59:60Z'), Date.UTC(2016, 11, 31, 23, 59, 59, 999));
  });

  it('rejects what is not RFC 3339', () => {
    for (const text of [
      '',
      '2026-11-22',
      '2026-11-22T10:00Z',
      '2026-11-22T10:00:00',
      '2026-11-22T10:00:00.Z',
      '2026-11-22T24:00:00Z',
      '2026-11-22T10:60:00Z',
      '2026-11-22T10:00:61Z',
      '2026-11-22T10:00:00+0100',
      '2026-11-22T10:00:00+24:00',
      '2026-11-22T10:00:00+01:60',
      '2026-11-22T10:00:00ZZ',
      '2026/11/22T10:00:00Z',
      '2026-11-22X10:00:00Z',
      '+02026-11-22T10:00:00Z',
      'Sun, 22 Nov 2026 10:00:00 GMT',
      '2026-1１-22T10:00:00Z',
    ]) {
      assert.equal(parseRfc3339(text), undefined, text);
    }
  });
});
