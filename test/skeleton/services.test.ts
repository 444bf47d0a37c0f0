import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { consulHealth, infra, instanceStatus, ROOT, waitFor } from '../support/infra';
import { startServiceProcess, type ServiceProcess } from '../support/service-process';
import { statsdValue } from '../support/statsd';

const SERVICES = ['ingest', 'attribution', 'raw-reports', 'aggregates'] as const;
const started: ServiceProcess[] = [];
after(async () => {
  await Promise.all(started.map((service) => service.stop('SIGKILL')));
});

describe('every service registers, passes, reports metrics and leaves on SIGTERM', () => {
  for (const service of SERVICES) {
    it(service, async () => {
      const version = `9.9.${Date.now() % 1000}`;
      const instance = await startServiceProcess(service, { SERVICE_VERSION: version, LOG_LEVEL: 'warn' });
      started.push(instance);

      await waitFor(
        `${service} passing in Consul`,
        async () => (await instanceStatus(service, instance.instanceId)) === 'passing',
        30_000,
      );
      const entry = (await consulHealth(service)).find((candidate) => candidate.Service.ID === instance.instanceId)!;
      assert.equal(entry.Service.Port, instance.port, 'registers the port it really got');
      assert.equal(entry.Service.Address, '127.0.0.1');
      assert.equal(entry.Service.Meta.version, version);
      assert.ok(entry.Service.Tags.includes(version));
      const check = entry.Checks.find((candidate) => candidate.ServiceID === instance.instanceId)!;
      assert.match(check.Output, /HTTP GET http:\/\/127\.0\.0\.1:\d+\/health: 200/);

      const health = await fetch(`${instance.url}/health`);
      assert.equal(health.status, 200);
      const body = (await health.json()) as { status: string; checks: Record<string, { status: string }> };
      assert.equal(body.status, 'passing');
      assert.equal(body.checks.redis.status, 'passing');
      assert.equal(body.checks.kafka.status, 'passing');

      for (const gauge of ['process.rss_bytes', 'process.heap_used_bytes', 'process.event_loop_lag_ms']) {
        await waitFor(
          `mmp.${service}.${gauge} at StatsD`,
          async () => (await statsdValue('gauges', `mmp.${service}.${gauge}`)) !== undefined,
          15_000,
        );
      }
      // The Etsy daemon keeps tags graphite-safe: the route /health arrives as -health.
      await waitFor(
        `mmp.${service}.http.requests for /health at StatsD`,
        async () =>
          ((await statsdValue('counters', `mmp.${service}.http.requests`, { route: '-health', status: '200' })) ?? 0) > 0,
        15_000,
      );

      const { code, ms } = await instance.stop('SIGTERM');
      assert.equal(code, 0, instance.output());
      assert.ok(ms < 10_000, `stopped in ${ms} ms`);
      assert.equal(await instanceStatus(service, instance.instanceId), undefined, 'deregistered');
    });
  }
});

describe('bad configuration', () => {
  for (const service of SERVICES) {
    it(`${service} prints one clear line and exits 1`, () => {
      const result = spawnSync(process.execPath, [resolve(ROOT, 'services', service, 'dist', 'main.js')], {
        env: { ...process.env, PORT: 'eighty', REDIS_URL: 'not-a-url' },
        encoding: 'utf8',
        timeout: 20_000,
      });
      assert.equal(result.status, 1);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0], new RegExp(`^${service}: invalid configuration: .*PORT.*REDIS_URL`));
    });
  }
});

describe('health follows the dependencies', () => {
  it('critical in Consul while its Redis is stopped, passing again after', async () => {
    const instance = await startServiceProcess('aggregates', { LOG_LEVEL: 'error' });
    started.push(instance);
    try {
      await waitFor('passing', async () => (await instanceStatus('aggregates', instance.instanceId)) === 'passing', 30_000);
      await infra('stop', 'redis');
      await waitFor(
        'critical while Redis is down',
        async () => (await instanceStatus('aggregates', instance.instanceId)) === 'critical',
        20_000,
      );
      const body = (await (await fetch(`${instance.url}/health`)).json()) as {
        status: string;
        checks: Record<string, { status: string }>;
      };
      assert.equal(body.status, 'critical');
      assert.equal(body.checks.redis.status, 'critical', 'names the failing dependency');
    } finally {
      await infra('start', 'redis');
    }
    await waitFor('passing again', async () => (await instanceStatus('aggregates', instance.instanceId)) === 'passing', 30_000);
    assert.equal((await instance.stop()).code, 0);
  });

  it('critical in Consul while its Kafka is stopped, passing again after', async () => {
    const instance = await startServiceProcess('raw-reports', { LOG_LEVEL: 'error' });
    started.push(instance);
    try {
      await waitFor('passing', async () => (await instanceStatus('raw-reports', instance.instanceId)) === 'passing', 30_000);
      await infra('stop', 'kafka');
      await waitFor(
        'critical while Kafka is down',
        async () => (await instanceStatus('raw-reports', instance.instanceId)) === 'critical',
        20_000,
      );
      const body = (await (await fetch(`${instance.url}/health`)).json()) as { checks: Record<string, { status: string }> };
      assert.equal(body.checks.kafka.status, 'critical');
    } finally {
      await infra('start', 'kafka');
    }
    await waitFor('passing again', async () => (await instanceStatus('raw-reports', instance.instanceId)) === 'passing', 60_000);
    assert.equal((await instance.stop()).code, 0);
  });
});
