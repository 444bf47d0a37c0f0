import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { replayTime } from './replay';

describe('replayTime', () => {
  it('reads RFC 3339 times and epoch milliseconds', () => {
    assert.equal(replayTime('2026-11-22T10:00:00Z'), Date.UTC(2026, 10, 22, 10));
    assert.equal(replayTime('2026-11-22T12:00:00+02:00'), Date.UTC(2026, 10, 22, 10));
    assert.equal(replayTime('1700000000000'), 1_700_000_000_000);
  });

  it('refuses anything else with the expected forms named', () => {
    assert.throws(() => replayTime('yesterday'), /RFC 3339/);
    assert.throws(() => replayTime('2026-13-45T99:00:00Z'), /RFC 3339/);
    assert.throws(() => replayTime('Nov 22 2026'), /RFC 3339/);
  });
});
