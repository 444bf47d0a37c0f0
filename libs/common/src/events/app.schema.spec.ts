import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appRecordSchema } from './app.schema';

const base = { app_id: 'com.example.game', sdk_key: 'k_1', api_token_sha256: 'a'.repeat(64) };

describe('the apps registry record (contracts §2)', () => {
  it('fills the four windows with their defaults when absent', () => {
    const record = appRecordSchema.parse(base);
    assert.equal(record.click_lookback_hours, 168);
    assert.equal(record.probabilistic_lookback_hours, 24);
    assert.equal(record.view_through_lookback_hours, 24);
    assert.equal(record.reattribution_window_days, 90);
  });

  it('carries the view-through and re-attribution windows, and takes 0 to turn probabilistic and view-through off', () => {
    const record = appRecordSchema.parse({
      ...base,
      probabilistic_lookback_hours: 0,
      view_through_lookback_hours: 0,
      reattribution_window_days: 30,
    });
    assert.equal(record.probabilistic_lookback_hours, 0);
    assert.equal(record.view_through_lookback_hours, 0);
    assert.equal(record.reattribution_window_days, 30);
  });

  it('refuses negative or fractional windows and a re-attribution window of 0 days', () => {
    for (const bad of [
      { view_through_lookback_hours: -1 },
      { probabilistic_lookback_hours: 1.5 },
      { reattribution_window_days: 0 },
      { click_lookback_hours: 0 },
    ])
      assert.equal(appRecordSchema.safeParse({ ...base, ...bad }).success, false, JSON.stringify(bad));
  });
});
