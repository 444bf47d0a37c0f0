import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { currentRevision, FLEET, RUN_DIR, RUN_LABEL } from '@mmp/fleet';
import { consulHealth, instanceStatus, waitFor } from '../support/infra';
import { FLEET_CLI, runFleet, spawnLong, type LongRunning } from './support/cli';
import { cleanUpRun, dockerUp, infraUp, type Engine } from './support/docker';

const tag = currentRevision();

/** What Consul shows of one run: its instances by service, each with its aggregated status. */
async function runInstances(runId: string): Promise<Map<string, { id: string; port: number; status: string | undefined }[]>> {
  const found = new Map<string, { id: string; port: number; status: string | undefined }[]>();
  for (const { name } of FLEET) {
    const entries = (await consulHealth(name)).filter((entry) => entry.Service.ID.startsWith(`${name}-local-${runId}-`));
    found.set(
      name,
      await Promise.all(
        entries.map(async (entry) => ({
          id: entry.Service.ID,
          port: entry.Service.Port,
          status: await instanceStatus(name, entry.Service.ID),
        })),
      ),
    );
  }
  return found;
}

async function upAndDown(fleet: LongRunning, signal: NodeJS.Signals, engine?: Engine): Promise<string> {
  const runId = (await fleet.waitForOutput(/run ([0-9a-f]{6}): starting/, 60_000))[1];
  await fleet.waitForOutput(/the fleet is up \(5 instances passing in Consul\)/, 240_000);

  const instances = await runInstances(runId);
  for (const spec of FLEET) {
    const mine = instances.get(spec.name)!;
    assert.equal(mine.length, spec.instances, `${spec.name}: ${JSON.stringify(mine)}`);
    for (const instance of mine) {
      assert.equal(instance.status, 'passing', `${instance.id} is ${instance.status}`);
      const health = await fetch(`http://127.0.0.1:${instance.port}/health`);
      assert.equal(health.status, 200);
      assert.ok(fleet.output().includes(`http://127.0.0.1:${instance.port}/health`), `${instance.id}'s URL is printed`);
    }
  }
  if (engine) {
    const containers = await engine.docker.listContainers({ filters: { label: [`${RUN_LABEL}=${runId}`] } });
    assert.equal(containers.length, 5);
    for (const info of containers) assert.equal(info.HostConfig.NetworkMode, 'host');
  }

  const stopped = await fleet.stop(signal);
  assert.equal(stopped.code, 0, fleet.output().slice(-3000));
  assert.match(fleet.output(), /all 5 instances stopped cleanly/);
  await waitFor(
    'every instance of the run gone from Consul',
    async () => [...(await runInstances(runId)).values()].every((left) => left.length === 0),
    5_000,
    100,
  );
  assert.equal(existsSync(resolve(RUN_DIR, 'fleet', `run-${runId}.json`)), false);
  if (engine)
    assert.equal((await engine.docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${runId}`] } })).length, 0);
  return runId;
}

describe('fleet up (processes)', () => {
  let fleet: LongRunning | undefined;
  let runId: string | undefined;
  before(infraUp);
  after(async () => {
    runId ??= fleet?.output().match(/run ([0-9a-f]{6}): starting/)?.[1];
    await fleet?.stop('SIGTERM');
    await cleanUpRun(runId);
  });

  it('runs every instance of every definition as a process until each passes in Consul, and stops them all on Ctrl-C', async () => {
    fleet = spawnLong(process.execPath, [FLEET_CLI, 'up', '--tag', tag]);
    runId = await upAndDown(fleet, 'SIGINT');
  });
});

describe('fleet up --containers', () => {
  let engine: Engine;
  let fleet: LongRunning | undefined;
  let runId: string | undefined;

  before(async () => {
    engine = await dockerUp();
    const build = await runFleet(['images', 'build', '--tag', tag], { env: { DOCKER_HOST: engine.host }, timeoutMs: 900_000 });
    assert.equal(build.code, 0, build.stderr);
  });
  after(async () => {
    runId ??= fleet?.output().match(/run ([0-9a-f]{6}): starting/)?.[1];
    await fleet?.stop('SIGTERM');
    if (engine) await cleanUpRun(runId, engine.docker);
  });

  it('runs every instance as a container on the host network until each passes, and stops them all on SIGTERM', async () => {
    fleet = spawnLong(process.execPath, [FLEET_CLI, 'up', '--containers', '--tag', tag], { DOCKER_HOST: engine.host });
    runId = await upAndDown(fleet, 'SIGTERM', engine);
  });

  it('fails, and leaves nothing behind, when a definition cannot start', async () => {
    const missing = await runFleet(['up', '--containers', '--tag', 'no-such-tag'], {
      env: { DOCKER_HOST: engine.host },
      timeoutMs: 60_000,
    });
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      /image 127\.0\.0\.1:5000\/mmp\/ingest:no-such-tag is missing and could not be pulled .*run 'fleet images build' and 'fleet images push'/,
    );

    const broken = await runFleet(['up', '--containers', '--tag', tag, '--env', 'LOG_LEVEL=loud'], {
      env: { DOCKER_HOST: engine.host },
      timeoutMs: 180_000,
    });
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /exited with 1 before passing in Consul/);
    assert.match(broken.stderr, /invalid configuration: LOG_LEVEL/);
    const failedRun = broken.stderr.match(/run ([0-9a-f]{6}): starting/)![1];
    assert.equal(
      (await engine.docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${failedRun}`] } })).length,
      0,
    );
  });
});
