import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type Docker from 'dockerode';
import {
  currentRevision,
  FLEET,
  loadFleetConfig,
  localVolumes,
  marathonApp,
  NODE_VERSION,
  removeRunContainers,
  ROOT,
} from '@mmp/fleet';
import { instanceStatus, uniqueId, waitFor } from '../support/infra';
import { run, runFleet } from './support/cli';
import { dockerUp, type Engine } from './support/docker';

const LABEL = 'images-test';

describe('service images', () => {
  let engine: Engine;
  const tag = currentRevision();
  const prefix = loadFleetConfig(ROOT).images.prefix;

  before(async () => {
    engine = await dockerUp();
  });

  after(async () => {
    if (engine) await removeRunContainers(engine.docker, LABEL);
  });

  it('fleet images build builds every service image, tagged with the revision and latest, showing its progress', async () => {
    const started = Date.now();
    const build = await runFleet(['images', 'build', '--tag', tag], { env: { DOCKER_HOST: engine.host }, timeoutMs: 900_000 });
    assert.equal(build.code, 0, build.stderr);
    console.log(`# fleet images build: ${Date.now() - started} ms`);
    for (const { name } of FLEET) {
      assert.match(build.stderr, new RegExp(`\\[${name}\\] Step 1/\\d+ : ARG BASE_IMAGE`));
      const image = await engine.docker.getImage(`${prefix}/${name}:${tag}`).inspect();
      const latest = await engine.docker.getImage(`${prefix}/${name}:latest`).inspect();
      assert.equal(latest.Id, image.Id);
      assert.equal(image.Config.User, '1000:1000');
      assert.deepEqual(image.Config.Cmd, ['node', `dist/bundles/${name}.js`]);
      assert.deepEqual((image.Config as { Healthcheck?: { Test?: string[] } }).Healthcheck?.Test, [
        'CMD',
        'node',
        '/app/healthcheck.js',
      ]);
      assert.equal(image.Config.Labels?.['org.opencontainers.image.revision'], tag);
    }
  });

  it('every image runs the Node the project provisions, the same Node these tests run on', async () => {
    assert.equal(process.version, `v${NODE_VERSION}`, 'npm test runs on the Node pinned in .node-version');
    for (const { name } of FLEET) {
      const version = await run('docker', ['run', '--rm', '--network', 'host', `${prefix}/${name}:${tag}`, 'node', '--version'], {
        env: { DOCKER_HOST: engine.host },
      });
      assert.equal(version.code, 0, version.stderr);
      assert.equal(version.stdout.trim(), `v${NODE_VERSION}`, name);
    }
  });

  for (const { name } of FLEET) {
    it(`a ${name} container on the host network registers, passes, and on docker stop deregisters and exits 0 within 10 s`, async () => {
      const instanceId = uniqueId(`${name}-image`);
      const container = await createContainer(
        engine.docker,
        FLEET.find((spec) => spec.name === name)!,
        tag,
        instanceId,
      );
      await container.start();
      await waitFor(
        `${instanceId} passing in Consul`,
        async () => (await instanceStatus(name, instanceId)) === 'passing',
        120_000,
        250,
      );
      // The image's own HEALTHCHECK (node, no curl, port found with PORT=0) agrees.
      await waitFor(
        `${instanceId} healthy in Docker`,
        async () => (await container.inspect()).State.Health?.Status === 'healthy',
        90_000,
        500,
      );

      const started = Date.now();
      await container.stop({ t: 15 });
      const ms = Date.now() - started;
      const state = (await container.inspect()).State;
      console.log(`# ${name}: docker stop -> exit ${state.ExitCode} in ${ms} ms`);
      assert.equal(state.ExitCode, 0);
      assert.ok(ms < 10_000, `stopping took ${ms} ms`);
      // Deregistration is done before the exit; the catalog may show it a moment later (anti-entropy sync).
      await waitFor(
        `${instanceId} gone from Consul`,
        async () => (await instanceStatus(name, instanceId)) === undefined,
        5_000,
        100,
      );
      const logs = (await container.logs({ stdout: true, stderr: true })).toString();
      assert.match(logs, /"signal":"SIGTERM".*"msg":"stopping"/);
      assert.match(logs, /deregistered from Consul/);
      await container.remove();
      for (const volume of (await engine.docker.listVolumes()).Volumes ?? [])
        if (volume.Name.endsWith(instanceId)) await engine.docker.getVolume(volume.Name).remove();
    });
  }
});

/** A container as Marathon would run the service's definition: its env and volumes, host network, --init. */
function createContainer(
  docker: Docker,
  spec: (typeof FLEET)[number],
  tag: string,
  instanceId: string,
): Promise<Docker.Container> {
  const app = marathonApp(spec, { tag, version: tag, config: loadFleetConfig(ROOT) });
  // A fresh named volume per container: it must come up owned by uid 1000 from the image alone (ingest creates its
  // own directory in the spool root at start, so passing in Consul proves it can write there).
  const volumes = localVolumes(app, '/unused').map((volume) => ({ ...volume, name: `${volume.name}-${instanceId}` }));
  const env = { ...app.env, HOST: '127.0.0.1', PORT: '0', INSTANCE_ID: instanceId };
  return docker.createContainer({
    name: instanceId,
    Image: app.container.docker.image,
    Cmd: app.args,
    Env: Object.entries(env).map(([key, value]) => `${key}=${value}`),
    Labels: { 'mmp.fleet.run': LABEL },
    HostConfig: { NetworkMode: 'host', Init: true, Binds: volumes.map((volume) => `${volume.name}:${volume.containerPath}:rw`) },
  });
}
