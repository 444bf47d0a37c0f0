import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FLEET, hasImage, loadFleetConfig, registryOf, ROOT, RUN_LABEL } from '@mmp/fleet';
import { consulHealth, instanceStatus } from '../support/infra';
import { FLEET_CLI, run, runFleet, spawnLong, type LongRunning } from './support/cli';
import { cleanUpRun, dockerUp, type Engine } from './support/docker';

/**
 * Images in a real registry (Debian's docker-registry, started by infra/registry.sh on 127.0.0.1): pushed by
 * `fleet images push`, gone from the engine, pulled back by `fleet up --containers` as a Marathon agent would,
 * and run from the definitions until they pass in the real Consul.
 */
describe('images in the registry', () => {
  const prefix = loadFleetConfig(ROOT).images.prefix;
  const registry = registryOf(prefix)!;
  const tag = `r${randomBytes(4).toString('hex')}`;
  let engine: Engine;
  let fleet: LongRunning | undefined;
  let runId: string | undefined;

  before(async () => {
    engine = await dockerUp();
    const up = await run('bash', ['infra/registry.sh', 'up'], { timeoutMs: 300_000 });
    assert.equal(up.code, 0, up.stderr);
    const build = await runFleet(['images', 'build', '--tag', tag], { env: { DOCKER_HOST: engine.host }, timeoutMs: 900_000 });
    assert.equal(build.code, 0, build.stderr);
  });

  after(async () => {
    runId ??= fleet?.output().match(/run ([0-9a-f]{6}): starting/)?.[1];
    await fleet?.stop('SIGTERM');
    if (engine) await cleanUpRun(runId, engine.docker);
  });

  it('fleet images push puts every image of the tag in the registry of the configured prefix', async () => {
    const started = Date.now();
    const push = await runFleet(['images', 'push', '--tag', tag], { env: { DOCKER_HOST: engine.host }, timeoutMs: 600_000 });
    assert.equal(push.code, 0, push.stderr);
    console.log(`# fleet images push: ${Date.now() - started} ms`);
    for (const { name } of FLEET) {
      assert.match(push.stderr, new RegExp(`pushed ${prefix}/${name}:${tag} \\(sha256:[0-9a-f]{64}\\)`));
      const repository = `${prefix.slice(registry.length + 1)}/${name}`;
      const tags = (await (await fetch(`http://${registry}/v2/${repository}/tags/list`)).json()) as { tags: string[] };
      assert.ok(tags.tags.includes(tag), `${repository}: ${JSON.stringify(tags)}`);
    }
  });

  it('fleet up --containers pulls the images the engine lost, and runs them from the definitions until they pass', async () => {
    // Every name of each image goes (the revision's and latest, same content), so only the registry has it now.
    for (const { name } of FLEET) {
      const image = `${prefix}/${name}:${tag}`;
      await engine.docker.getImage((await engine.docker.getImage(image).inspect()).Id).remove({ force: true });
      assert.equal(await hasImage(engine.docker, image), false);
    }

    fleet = spawnLong(process.execPath, [FLEET_CLI, 'up', '--containers', '--tag', tag], { DOCKER_HOST: engine.host });
    runId = (await fleet.waitForOutput(/run ([0-9a-f]{6}): starting/, 300_000))[1];
    await fleet.waitForOutput(/the fleet is up \(5 instances passing in Consul\)/, 240_000);
    for (const { name, instances } of FLEET) {
      assert.match(fleet.output(), new RegExp(`pulled ${prefix}/${name}:${tag} in \\d+ ms`));
      assert.equal(await hasImage(engine.docker, `${prefix}/${name}:${tag}`), true);
      const mine = (await consulHealth(name)).filter((entry) => entry.Service.ID.startsWith(`${name}-local-${runId}-`));
      assert.equal(mine.length, instances);
      for (const entry of mine) {
        assert.equal(await instanceStatus(name, entry.Service.ID), 'passing');
        assert.equal(entry.Service.Meta.version, tag);
        assert.equal(entry.Service.Address, '127.0.0.1', "advertises the HOST the runner sets, as Marathon's");
      }
    }
    const containers = await engine.docker.listContainers({ filters: { label: [`${RUN_LABEL}=${runId}`] } });
    assert.equal(containers.length, 5);
    for (const info of containers) assert.equal(info.Image, `${prefix}/${info.Labels['mmp.service']}:${tag}`);

    const stopped = await fleet.stop('SIGTERM');
    assert.equal(stopped.code, 0, fleet.output().slice(-3000));
    assert.match(fleet.output(), /all 5 instances stopped cleanly/);
  });

  it('refuses to push to a prefix without a registry host (Docker Hub) or to a registry that does not answer', async () => {
    const config = loadFleetConfig(ROOT);
    const dir = mkdtempSync(join(tmpdir(), 'mmp-registry-'));
    writeFileSync(join(dir, 'hub.json'), JSON.stringify({ ...config, images: { prefix: 'mmp' } }));
    writeFileSync(join(dir, 'gone.json'), JSON.stringify({ ...config, images: { prefix: '127.0.0.1:9/mmp' } }));
    const hub = await runFleet(['images', 'push', '--tag', tag, '--config', join(dir, 'hub.json')], {
      env: { DOCKER_HOST: engine.host },
    });
    assert.equal(hub.code, 1);
    assert.match(hub.stderr, /the image prefix 'mmp' names no registry host .*refusing to push to Docker Hub/);
    const gone = await runFleet(['images', 'push', '--tag', tag, '--config', join(dir, 'gone.json')], {
      env: { DOCKER_HOST: engine.host },
    });
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /no registry answers at 127\.0\.0\.1:9 .*infra\/registry\.sh up/);
  });
});
