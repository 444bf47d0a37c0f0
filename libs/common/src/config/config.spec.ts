import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('uses the contract defaults and the service default port', () => {
    const config = loadConfig('raw-reports', {});
    assert.equal(config.port, 3300);
    assert.deepEqual(config.kafkaBrokers, ['127.0.0.1:9092']);
    assert.deepEqual(config.consul, { host: '127.0.0.1', port: 8500 });
    assert.equal(config.redisUrl, 'redis://127.0.0.1:6379');
    assert.deepEqual(config.statsd, { host: '127.0.0.1', port: 8125 });
    assert.equal(config.bindAddress, '127.0.0.1');
    assert.match(config.instanceId, /^raw-reports-/);
  });

  it('reads every address from the environment; PORT=0 is allowed', () => {
    const config = loadConfig('ingest', {
      PORT: '0',
      KAFKA_BROKERS: 'k1:9092, k2:9093',
      CONSUL_HTTP_ADDR: 'http://consul.local:8600',
      REDIS_URL: 'redis://cache:6380',
      STATSD_HOST: 'metrics',
      STATSD_PORT: '9125',
      SERVICE_VERSION: '1.2.3',
      INSTANCE_ID: 'ingest-a',
    });
    assert.equal(config.port, 0);
    assert.deepEqual(config.kafkaBrokers, ['k1:9092', 'k2:9093']);
    assert.deepEqual(config.consul, { host: 'consul.local', port: 8600 });
    assert.equal(config.redisUrl, 'redis://cache:6380');
    assert.deepEqual(config.statsd, { host: 'metrics', port: 9125 });
    assert.equal(config.version, '1.2.3');
    assert.equal(config.instanceId, 'ingest-a');
  });

  it('names every bad variable in one error', () => {
    assert.throws(
      () => loadConfig('aggregates', { PORT: 'eighty', KAFKA_BROKERS: 'nope', REDIS_URL: 'http://x', STATSD_PORT: '70000' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        for (const name of ['PORT', 'KAFKA_BROKERS', 'REDIS_URL', 'STATSD_PORT']) assert.match(error.message, new RegExp(name));
        assert.equal(error.message.split('\n').length, 1, 'one line');
        return true;
      },
    );
  });

  it('validates service-specific variables with the shared ones', () => {
    const shape = { SPOOL_MAX_BYTES: z.coerce.number().int().positive().default(1024) };
    assert.equal(loadConfig('ingest', {}, shape).own.SPOOL_MAX_BYTES, 1024);
    assert.equal(loadConfig('ingest', { SPOOL_MAX_BYTES: '5' }, shape).own.SPOOL_MAX_BYTES, 5);
    assert.throws(
      () => loadConfig('ingest', { SPOOL_MAX_BYTES: '-1', PORT: 'x' }, shape),
      /SPOOL_MAX_BYTES.*|PORT.*SPOOL_MAX_BYTES/,
    );
  });

  it('advertises ADVERTISE_ADDRESS, else the HOST Marathon sets, else loopback; binds BIND_ADDRESS', () => {
    assert.equal(loadConfig('ingest', {}).advertiseAddress, '127.0.0.1');
    assert.equal(loadConfig('ingest', { HOST: '10.0.3.7' }).advertiseAddress, '10.0.3.7');
    assert.equal(loadConfig('ingest', { HOST: '10.0.3.7', ADVERTISE_ADDRESS: '192.0.2.1' }).advertiseAddress, '192.0.2.1');
    const config = loadConfig('ingest', { HOST: 'agent-3.example', BIND_ADDRESS: '0.0.0.0' });
    assert.equal(config.bindAddress, '0.0.0.0');
    assert.equal(config.advertiseAddress, 'agent-3.example');
  });

  it('expands $HOST in the address variables to the task host, else to loopback', () => {
    const env = {
      CONSUL_HTTP_ADDR: '$HOST:8500',
      STATSD_HOST: '${HOST}',
      KAFKA_BROKERS: 'kafka-1:9092,$HOST:9092',
      REDIS_URL: 'redis://$HOST:6379',
    };
    const onAgent = loadConfig('attribution', { ...env, HOST: '10.0.3.7' });
    assert.deepEqual(onAgent.consul, { host: '10.0.3.7', port: 8500 });
    assert.equal(onAgent.statsd.host, '10.0.3.7');
    assert.deepEqual(onAgent.kafkaBrokers, ['kafka-1:9092', '10.0.3.7:9092']);
    assert.equal(onAgent.redisUrl, 'redis://10.0.3.7:6379');
    assert.deepEqual(loadConfig('attribution', env).consul, { host: '127.0.0.1', port: 8500 });
    // Only HOST itself, and only in addresses: $HOSTNAME stays as written (and is then rejected).
    assert.throws(() => loadConfig('attribution', { CONSUL_HTTP_ADDR: '$HOSTNAME:8500', HOST: 'h' }), /CONSUL_HTTP_ADDR/);
  });
});
