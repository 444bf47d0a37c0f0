import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HealthRegistry, httpStatusOf } from './health';

describe('HealthRegistry', () => {
  it('is passing when every check passes, and the worst check decides otherwise', async () => {
    const health = new HealthRegistry();
    health.register('a', () => ({ status: 'passing' }));
    assert.equal((await health.report()).status, 'passing');
    health.register('b', () => ({ status: 'warning', detail: 'lagging' }));
    assert.equal((await health.report()).status, 'warning');
    health.register('c', async () => ({ status: 'critical', detail: 'redis is not connected' }));
    const report = await health.report();
    assert.equal(report.status, 'critical');
    assert.deepEqual(report.checks.c, { status: 'critical', detail: 'redis is not connected' });
  });

  it('counts a check that throws or hangs as critical, naming why', async () => {
    const health = new HealthRegistry();
    health.register('throws', () => {
      throw new Error('boom');
    });
    health.register('hangs', () => new Promise(() => undefined));
    const report = await health.report(50);
    assert.deepEqual(report.checks.throws, { status: 'critical', detail: 'boom' });
    assert.equal(report.checks.hangs.status, 'critical');
  });

  it('maps to the HTTP codes Consul reads', () => {
    assert.equal(httpStatusOf('passing'), 200);
    assert.equal(httpStatusOf('warning'), 429);
    assert.equal(httpStatusOf('critical'), 503);
  });
});
