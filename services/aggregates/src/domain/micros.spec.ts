import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { microsToDecimal, toMicros } from './micros';

describe('toMicros', () => {
  it('reads the decimal text, not the binary float', () => {
    assert.equal(toMicros(0.1), 100_000n);
    assert.equal(toMicros(1.005), 1_005_000n);
    assert.equal(toMicros(12.5), 12_500_000n);
    assert.equal(toMicros(0), 0n);
    assert.equal(toMicros(-0), 0n);
    assert.equal(toMicros(1e9), 1_000_000_000_000_000n);
    assert.equal(toMicros(-1e9), -1_000_000_000_000_000n);
    assert.equal(toMicros(123456789.123456), 123_456_789_123_456n);
    assert.equal(toMicros(999999999.999999), 999_999_999_999_999n);
  });

  it('rounds digits past the sixth decimal half away from zero', () => {
    assert.equal(toMicros(0.0000005), 1n);
    assert.equal(toMicros(0.0000004), 0n);
    assert.equal(toMicros(1e-7), 0n);
    assert.equal(toMicros(2.0000015), 2_000_002n);
    assert.equal(toMicros(-2.0000015), -2_000_002n);
    assert.equal(toMicros(-0.0000005), -1n);
  });

  it('reads exponent notation', () => {
    assert.equal(toMicros(1.5e21), 1_500_000_000_000_000_000_000_000_000n);
    assert.equal(toMicros(5e-7), 1n);
  });

  it('refuses what is not a finite number', () => {
    assert.throws(() => toMicros(Number.NaN), RangeError);
    assert.throws(() => toMicros(Infinity), RangeError);
  });

  it('sums exactly where floats drift', () => {
    const values = Array.from({ length: 10 }, () => 0.1);
    assert.notEqual(
      values.reduce((sum, value) => sum + value, 0),
      1,
    );
    assert.equal(microsToDecimal(values.reduce((sum, value) => sum + toMicros(value), 0n)), '1');
  });

  it('is the identity on every amount with at most six decimals (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), (micros) => {
        assert.equal(toMicros(Number(microsToDecimal(micros))), micros);
      }),
    );
  });
});

describe('microsToDecimal', () => {
  it('writes the shortest exact decimal', () => {
    assert.equal(microsToDecimal(12_500_000n), '12.5');
    assert.equal(microsToDecimal(0n), '0');
    assert.equal(microsToDecimal(-1n), '-0.000001');
    assert.equal(microsToDecimal(3_000_000n), '3');
    assert.equal(microsToDecimal(10n ** 20n + 1n), '100000000000000.000001');
  });
});
