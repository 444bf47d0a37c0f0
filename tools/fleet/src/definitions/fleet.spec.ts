import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SERVICES } from '@mmp/common';
import { dockerfile, FLEET, marathonApp, marathonGroup, renderFiles, serviceOf, committedOptions } from './fleet';
import { NODE_VERSION } from '../runtime';

const options = { tag: 'abc123', version: 'abc123' };

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

  it('carry the image of the tag, the infrastructure addresses and the version Consul will show', () => {
    const app = marathonApp(FLEET[0], { ...options, env: { KAFKA_BROKERS: 'kafka:9092' } });
    assert.equal(app.container.docker.image, 'mmp/ingest:abc123');
    assert.equal(app.env.KAFKA_BROKERS, 'kafka:9092');
    assert.equal(app.env.CONSUL_HTTP_ADDR, '127.0.0.1:8500');
    assert.equal(app.env.REDIS_URL, 'redis://127.0.0.1:6379');
    assert.equal(app.env.STATSD_HOST, '127.0.0.1');
    assert.equal(app.env.STATSD_PORT, '8125');
    assert.equal(app.env.SERVICE_VERSION, 'abc123');
    assert.equal(app.labels['mmp.version'], 'abc123');
  });

  it('check /health over HTTP and give SIGTERM more time than the 10 s a service needs', () => {
    for (const app of marathonGroup(options).apps) {
      assert.equal(app.healthChecks.length, 1);
      assert.equal(app.healthChecks[0].path, '/health');
      assert.match(app.healthChecks[0].protocol, /HTTP/);
      assert.ok(app.taskKillGracePeriodSeconds > 10);
      assert.ok(app.upgradeStrategy.minimumHealthCapacity >= 0 && app.upgradeStrategy.minimumHealthCapacity <= 1);
      assert.ok(app.cpus > 0 && app.mem >= 128 && app.instances >= 1);
    }
  });

  it('run containers with --init, and give ingest its spool as a host volume', () => {
    for (const app of marathonGroup(options).apps)
      assert.deepEqual(app.container.docker.parameters, [{ key: 'init', value: 'true' }]);
    const ingest = marathonApp(FLEET[0], options);
    assert.deepEqual(ingest.container.volumes, [
      { containerPath: '/var/lib/mmp/ingest/spool', hostPath: '/var/lib/mmp/ingest/spool', mode: 'RW' },
    ]);
    assert.equal(ingest.env.SPOOL_DIR, '/var/lib/mmp/ingest/spool');
  });

  it('run the same command in the image and as a process: node and the service bundle', () => {
    for (const spec of FLEET) {
      const app = marathonApp(spec, options);
      assert.deepEqual(app.args, ['node', `dist/bundles/${spec.name}.js`]);
      assert.ok(dockerfile(spec.name).includes(`CMD ["node", "dist/bundles/${spec.name}.js"]`));
    }
  });

  it('render Dockerfiles with a BASE_IMAGE argument, a non-root user and a HEALTHCHECK without curl', () => {
    const text = dockerfile('attribution');
    assert.ok(text.includes(`\nARG BASE_IMAGE=node:${NODE_VERSION}-bookworm-slim\n`));
    assert.match(text, /^FROM \$\{BASE_IMAGE\}$/m);
    assert.match(text, /^USER 1000:1000$/m);
    assert.match(text, /^HEALTHCHECK .*CMD \["node", "\/app\/healthcheck.js"\]$/m);
    assert.equal(/curl|wget/.test(text.replace(/^#.*$/gm, '')), false);
  });

  it('render one file per app, the group file and one Dockerfile per service', () => {
    const files = renderFiles(committedOptions);
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
