import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay } from './backoff';

const policy = { initialMs: 100, maxMs: 5000 };

describe('backoffDelay', () => {
  it('doubles from the initial delay and stays between half and all of it', () => {
    assert.equal(
      backoffDelay(0, policy, () => 0),
      50,
    );
    assert.equal(
      backoffDelay(0, policy, () => 1),
      100,
    );
    assert.equal(
      backoffDelay(1, policy, () => 1),
      200,
    );
    assert.equal(
      backoffDelay(3, policy, () => 0),
      400,
    );
  });

  it('never exceeds the maximum, however many attempts', () => {
    assert.equal(
      backoffDelay(10, policy, () => 1),
      5000,
    );
    assert.equal(
      backoffDelay(1000, policy, () => 1),
      5000,
    );
    assert.equal(
      backoffDelay(1000, policy, () => 0),
      2500,
    );
  });

  it('stays within bounds for random jitter', () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const ceiling = Math.min(5000, 100 * 2 ** attempt);
      const delay = backoffDelay(attempt, policy);
      assert.ok(delay >= ceiling / 2 && delay <= ceiling, `attempt ${attempt}: ${delay}`);
    }
  });

  it('treats a negative attempt as the first', () => {
    assert.equal(
      backoffDelay(-3, policy, () => 1),
      100,
    );
  });
});
