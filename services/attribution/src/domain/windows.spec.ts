import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_WINDOWS, HOUR_MS, touchRetentionMs, windowsOf } from './windows';

describe('windowsOf', () => {
  it('applies the contract defaults (168, 24, 24, 90) to missing fields', () => {
    assert.deepEqual(windowsOf({}), DEFAULT_WINDOWS);
    assert.deepEqual(windowsOf(undefined), DEFAULT_WINDOWS);
    assert.deepEqual(DEFAULT_WINDOWS, {
      clickLookbackHours: 168,
      probabilisticLookbackHours: 24,
      viewThroughLookbackHours: 24,
      reattributionWindowDays: 90,
    });
  });

  it('keeps 0, which turns a rule off', () => {
    const w = windowsOf({ probabilistic_lookback_hours: 0, view_through_lookback_hours: 0 });
    assert.equal(w.probabilisticLookbackHours, 0);
    assert.equal(w.viewThroughLookbackHours, 0);
  });
});

describe('touchRetentionMs', () => {
  it('keeps a click as long as its longest window, an impression as long as view-through', () => {
    const w = windowsOf({ click_lookback_hours: 2, probabilistic_lookback_hours: 5, view_through_lookback_hours: 3 });
    assert.equal(touchRetentionMs(w, 'click'), 5 * HOUR_MS);
    assert.equal(touchRetentionMs(w, 'impression'), 3 * HOUR_MS);
  });
});
