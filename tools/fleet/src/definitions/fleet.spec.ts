import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SERVICES } from '@mmp/common';
import { loadFleetConfig, parseFleetConfig, type FleetConfiguration } from '../config/fleet-config';
import { ROOT } from '../paths';
import { dockerfile, FLEET, marathonApp, marathonGroup, renderFiles, serviceOf, committedOptions } from './fleet';
import { NODE_VERSION } from '../runtime';

/** A cluster: Kafka and Redis at cluster addresses, a Consul agent and StatsD on every host, a registry. */
const cluster: FleetConfiguration = parseFleetConfig({
  images: { prefix: 'registry.example:5000/mmp' },
  kafka: { brokers: 'kafka-1:9092,kafka-2:9092,kafka-3:9092', replicationFactor: 3, minInsyncReplicas: 2 },
  consul: '$HOST:8500',
  redisUrl: 'redis://redis.example:6379',
  statsd: { host: '$HOST', port: 8125 },
});
const options = { tag: 'abc123', version: 'abc123', config: cluster };

describe('fleet definitions', () => {
  it('cover the four services of contracts §1, under the /mmp group', () => {
    const group = marathonGroup(options);
    assert.equal(group.id, '/mmp');
    assert.deepEqual(group.apps.map(serviceOf).sort(), Object.keys(SERVICES).sort());
    for (const app of group.apps) assert.match(app.id, /^\/mmp\/[a-z-]+$/);
  });

  it('use host networking only, with a port Marathon picks and hands over as PORT', () => {
    for (const app of marathonGroup(options).apps) {
      assert.deepEqual(app.networks, [{ mode: 'host' }]);
      assert.equal(JSON.stringify(app).includes('BRIDGE'), false);
      assert.deepEqual(app.portDefinitions, [{ port: 0, name: 'http', protocol: 'tcp' }]);
      assert.equal(app.env.PORT, undefined);
    }
  });

  it("carry the registry's image of the tag, the configuration's cluster addresses and the version Consul will show", () => {
    for (const app of marathonGroup(options).apps) {
      assert.equal(app.container.docker.image, `registry.example:5000/mmp/${serviceOf(app)}:abc123`);
      assert.equal(app.env.KAFKA_BROKERS, 'kafka-1:9092,kafka-2:9092,kafka-3:9092');
      assert.equal(app.env.REDIS_URL, 'redis://redis.example:6379');
      assert.equal(app.env.STATSD_HOST, '$HOST');
      assert.equal(app.env.STATSD_PORT, '8125');
      assert.equal(app.env.SERVICE_VERSION, 'abc123');
      assert.equal(app.labels['mmp.version'], 'abc123');
    }
  });

  it('bind every interface, advertise the HOST Marathon sets, and ask the Consul agent of their own host', () => {
    for (const app of marathonGroup(options).apps) {
      assert.equal(app.env.BIND_ADDRESS, '0.0.0.0');
      assert.equal(app.env.ADVERTISE_ADDRESS, undefined, 'the service falls back to HOST');
      assert.equal(app.env.HOST, undefined, 'Marathon sets HOST itself');
      assert.equal(app.env.CONSUL_HTTP_ADDR, '$HOST:8500');
      assert.equal(/127\.0\.0\.1|localhost/.test(JSON.stringify(app)), false, `${app.id} names no loopback address`);
    }
  });

  it("carry nothing of the operator's shell, only what --env asks for", () => {
    const saved = { ...process.env };
    try {
      Object.assign(process.env, {
        KAFKA_BROKERS: 'laptop:9092',
        CONSUL_HTTP_ADDR: 'laptop:8500',
        REDIS_URL: 'redis://laptop:1',
      });
      const plain = marathonApp(FLEET[1], options);
      assert.equal(JSON.stringify(plain).includes('laptop'), false);
      const asked = marathonApp(FLEET[1], { ...options, env: { LOG_LEVEL: 'debug', KAFKA_BROKERS: 'other:9092' } });
      assert.equal(asked.env.LOG_LEVEL, 'debug');
      assert.equal(asked.env.KAFKA_BROKERS, 'other:9092');
    } finally {
      process.env = saved;
    }
  });

  it('keep the two ingest instances on different hosts (hostname:UNIQUE)', () => {
    const apps = marathonGroup(options).apps;
    assert.deepEqual(apps.find((app) => serviceOf(app) === 'ingest')!.constraints, [['hostname', 'UNIQUE']]);
    for (const app of apps)
      if (app.instances > 1) assert.ok(app.constraints?.some(([field, op]) => field === 'hostname' && op === 'UNIQUE'));
  });

  it('the committed configuration is valid and is this machine: loopback addresses, the local registry', () => {
    const local = loadFleetConfig(ROOT);
    assert.equal(local.images.prefix, '127.0.0.1:5000/mmp');
    assert.equal(local.consul, '$HOST:8500');
    assert.equal(local.kafka.brokers, '127.0.0.1:9092');
  });

  it('refuse a configuration with unknown fields, bad addresses or min.insync.replicas above the replication factor', () => {
    const bad = {
      ...cluster,
      kafka: { brokers: 'kafka-1', replicationFactor: 2, minInsyncReplicas: 3 },
      statsd: { host: 'x', port: 70000 },
      registry: 'typo',
    };
    assert.throws(
      () => parseFleetConfig(bad, 'cluster.json'),
      (error: Error) => {
        assert.match(error.message, /^cluster\.json is invalid:/);
        assert.match(error.message, /\/kafka\/brokers must match pattern/);
        assert.match(error.message, /\/statsd\/port must be <= 65535/);
        assert.match(error.message, /must NOT have additional properties \(registry\)/);
        return true;
      },
    );
    assert.throws(
      () => parseFleetConfig({ ...cluster, kafka: { ...cluster.kafka, replicationFactor: 1, minInsyncReplicas: 2 } }),
      /minInsyncReplicas must not exceed replicationFactor/,
    );
  });

  it('check liveness (/health/live) over HTTP and give SIGTERM more time than the 10 s a service needs', () => {
    for (const app of marathonGroup(options).apps) {
      assert.equal(app.healthChecks.length, 1);
      assert.equal(app.healthChecks[0].path, '/health/live', 'liveness, not readiness (contracts §1)');
      assert.match(app.healthChecks[0].protocol, /HTTP/);
      assert.ok(app.taskKillGracePeriodSeconds > 10);
      assert.ok(app.upgradeStrategy.minimumHealthCapacity >= 0 && app.upgradeStrategy.minimumHealthCapacity <= 1);
      assert.ok(app.cpus > 0 && app.mem >= 128 && app.instances >= 1);
    }
  });

  it("run containers with --init; ingest's spool and the raw-reports lake are named volumes the image makes uid 1000 own", () => {
    for (const app of marathonGroup(options).apps)
      assert.deepEqual(app.container.docker.parameters[0], { key: 'init', value: 'true' });
    const ingest = marathonApp(FLEET[0], options);
    assert.deepEqual(ingest.container.docker.parameters, [
      { key: 'init', value: 'true' },
      { key: 'volume', value: 'mmp-ingest-spool:/var/lib/mmp/ingest/spool' },
    ]);
    assert.equal('volumes' in ingest.container, false, 'no host path, which Docker would create owned by root');
    assert.equal(ingest.env.SPOOL_DIR, '/var/lib/mmp/ingest/spool');
    const text = dockerfile(FLEET[0]);
    const copy = text.indexOf('COPY --chown=1000:1000 volumes/empty/ /var/lib/mmp/ingest/spool/');
    assert.ok(copy > 0, text);
    assert.ok(copy < text.indexOf('USER 1000:1000'));
    assert.equal(dockerfile(FLEET[1]).includes('--chown'), false);
    const rawReports = marathonApp(FLEET[2], options);
    assert.deepEqual(rawReports.container.docker.parameters[1], {
      key: 'volume',
      value: 'mmp-raw-reports:/var/lib/mmp/raw-reports',
    });
    assert.equal(rawReports.env.RAW_REPORTS_DIR, '/var/lib/mmp/raw-reports');
  });

  it('run the same command in the image and as a process: node and the service bundle', () => {
    for (const spec of FLEET) {
      const app = marathonApp(spec, options);
      assert.deepEqual(app.args, ['node', `dist/bundles/${spec.name}.js`]);
      assert.ok(dockerfile(spec).includes(`CMD ["node", "dist/bundles/${spec.name}.js"]`));
    }
  });

  it('render Dockerfiles with a BASE_IMAGE argument, a non-root user and a HEALTHCHECK without curl', () => {
    const text = dockerfile(FLEET[1]);
    assert.ok(text.includes(`\nARG BASE_IMAGE=node:${NODE_VERSION}-bookworm-slim\n`));
    assert.match(text, /^FROM \$\{BASE_IMAGE\}$/m);
    assert.match(text, /^USER 1000:1000$/m);
    assert.match(text, /^HEALTHCHECK .*CMD \["node", "\/app\/healthcheck.js"\]$/m);
    assert.equal(/curl|wget/.test(text.replace(/^#.*$/gm, '')), false);
  });

  it('render one file per app, the group file and one Dockerfile per service', () => {
    const files = renderFiles(committedOptions(loadFleetConfig(ROOT)));
    assert.deepEqual([...files.keys()].sort(), [
      'deploy/docker/aggregates.Dockerfile',
      'deploy/docker/attribution.Dockerfile',
      'deploy/docker/ingest.Dockerfile',
      'deploy/docker/raw-reports.Dockerfile',
      'deploy/marathon/aggregates.json',
      'deploy/marathon/attribution.json',
      'deploy/marathon/fleet.group.json',
      'deploy/marathon/ingest.json',
      'deploy/marathon/raw-reports.json',
    ]);
    const group = JSON.parse(files.get('deploy/marathon/fleet.group.json')!);
    assert.deepEqual(JSON.parse(files.get('deploy/marathon/ingest.json')!), group.apps[0]);
  });
});
