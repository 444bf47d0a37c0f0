import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type Docker from 'dockerode';
import { currentRevision, FLEET, loadFleetConfig, marathonApp, removeRunContainers, ROOT } from '@mmp/fleet';
import { consulHealth, infra, instanceStatus, uniqueId, waitFor } from '../support/infra';
import { runFleet } from './support/cli';
import { dockerUp, type Engine } from './support/docker';

const LABEL = 'liveness-test';

interface HealthLogEntry {
  Start: string;
  ExitCode: number;
}

/**
 * Contracts §1: readiness (/health) follows the dependencies and is Consul's check; liveness (/health/live)
 * is Marathon's and Docker's, and must not follow them, or a Kafka outage becomes a restart loop.
 */
describe('liveness and readiness of a container while Kafka is down', () => {
  let engine: Engine;
  const tag = currentRevision();

  before(async () => {
    engine = await dockerUp();
    const build = await runFleet(['images', 'build', '--tag', tag, 'attribution'], {
      env: { DOCKER_HOST: engine.host },
      timeoutMs: 600_000,
    });
    assert.equal(build.code, 0, build.stderr);
  });

  after(async () => {
    if (engine) await removeRunContainers(engine.docker, LABEL);
  });

  it('stays live (200, healthy in Docker) while critical in Consul, and passes again when Kafka is back', async () => {
    const instanceId = uniqueId('attribution-live');
    const container = await createContainer(engine.docker, tag, instanceId);
    await container.start();
    await waitFor(
      `${instanceId} passing`,
      async () => (await instanceStatus('attribution', instanceId)) === 'passing',
      60_000,
      250,
    );
    await waitFor(`${instanceId} healthy in Docker`, async () => (await health(container))?.Status === 'healthy', 60_000, 250);
    const port = (await consulHealth('attribution')).find((entry) => entry.Service.ID === instanceId)!.Service.Port;
    const url = `http://127.0.0.1:${port}`;
    const startedAt = (await container.inspect()).State.StartedAt;

    try {
      await infra('stop', 'kafka');
      await waitFor(
        'critical in Consul while Kafka is down',
        async () => (await instanceStatus('attribution', instanceId)) === 'critical',
        30_000,
        250,
      );
      const outage = Date.now();
      const readiness = await fetch(`${url}/health`);
      assert.equal(readiness.status, 503);
      const report = (await readiness.json()) as { status: string; checks: Record<string, { status: string }> };
      assert.equal(report.status, 'critical');
      assert.equal(report.checks.kafka.status, 'critical', 'names the failing dependency');

      const liveness = await fetch(`${url}/health/live`);
      assert.equal(liveness.status, 200);
      assert.equal(((await liveness.json()) as { status: string }).status, 'alive');

      // Docker's own HEALTHCHECK (the image's healthcheck.js) ran twice during the outage and passed both times.
      const during = await waitFor(
        "two of Docker's health probes during the outage",
        async () => {
          const probes = ((await health(container))?.Log ?? []).filter((entry) => Date.parse(entry.Start) > outage);
          return probes.length >= 2 ? probes : undefined;
        },
        30_000,
        250,
      );
      assert.deepEqual(
        during.map((probe) => probe.ExitCode),
        during.map(() => 0),
      );
      assert.equal((await health(container))?.Status, 'healthy');
    } finally {
      await infra('start', 'kafka');
    }

    await waitFor(
      'passing again in Consul once Kafka is back',
      async () => (await instanceStatus('attribution', instanceId)) === 'passing',
      90_000,
      250,
    );
    const state = (await container.inspect()).State;
    assert.equal(state.Running, true);
    assert.equal(state.StartedAt, startedAt, 'the same container, never restarted');
    assert.equal((await fetch(`${url}/health`)).status, 200);

    await container.stop({ t: 15 });
    assert.equal((await container.inspect()).State.ExitCode, 0);
    await container.remove();
  });
});

async function health(container: Docker.Container): Promise<{ Status: string; Log?: HealthLogEntry[] } | undefined> {
  return (await container.inspect()).State.Health as { Status: string; Log?: HealthLogEntry[] } | undefined;
}

/** The attribution container as Marathon would run its definition on a host: host network, --init, HOST set. */
function createContainer(docker: Docker, tag: string, instanceId: string): Promise<Docker.Container> {
  const app = marathonApp(
    FLEET.find((spec) => spec.name === 'attribution')!,
    { tag, version: tag, config: loadFleetConfig(ROOT) },
  );
  const env = { ...app.env, HOST: '127.0.0.1', PORT: '0', INSTANCE_ID: instanceId, LOG_LEVEL: 'warn' };
  return docker.createContainer({
    name: instanceId,
    Image: app.container.docker.image,
    Cmd: app.args,
    Env: Object.entries(env).map(([key, value]) => `${key}=${value}`),
    Labels: { 'mmp.fleet.run': LABEL },
    HostConfig: { NetworkMode: 'host', Init: true },
  });
}
