import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { FLEET, loadFleetConfig, marathonGroup, passingInstances, ROOT } from '@mmp/fleet';
import { CONSUL } from '../support/infra';
import { runFleet } from './support/cli';
import { infraUp } from './support/docker';
import { MarathonStub } from './support/marathon-stub';

/** fleet deploy against an in-test Marathon REST stub (Marathon cannot run here); Consul is the real one. */
describe('fleet deploy --marathon', () => {
  let stub: MarathonStub;
  const scratch = mkdtempSync(join(tmpdir(), 'mmp-deploy-'));

  before(infraUp);
  beforeEach(async () => {
    stub = new MarathonStub();
    await stub.start();
  });
  afterEach(async () => {
    await stub.close();
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('PUTs the group, follows the deployment, then waits until Consul shows the new version passing', async () => {
    const tag = `t${randomBytes(4).toString('hex')}`;
    const result = await runFleet(['deploy', '--marathon', stub.url, '--tag', tag, '--timeout', '240'], { timeoutMs: 300_000 });
    assert.equal(result.code, 0, result.stderr);

    const put = stub.requests.find((request) => request.method === 'PUT');
    assert.equal(put?.url, '/v2/groups');
    const group = put!.body as ReturnType<typeof marathonGroup>;
    assert.equal(group.id, '/mmp');
    assert.deepEqual(
      group.apps.map((app) => app.container.docker.image),
      FLEET.map((spec) => `${loadFleetConfig(ROOT).images.prefix}/${spec.name}:${tag}`),
    );
    assert.ok(stub.requests.some((request) => request.url === '/v2/deployments'));
    assert.match(result.stderr, /step 1\/1: StartApplication \/mmp\/ingest/);
    for (const spec of FLEET) {
      assert.match(
        result.stderr,
        new RegExp(`${spec.name}: ${spec.instances}/${spec.instances} instances of ${tag} passing in Consul`),
      );
      const passing = (await passingInstances(CONSUL, spec.name)).filter((instance) => instance.version === tag);
      assert.equal(passing.length, spec.instances);
    }
  });

  it('answers 409 (a deployment in progress) with a clear message, and --force overrides it', async () => {
    stub.mode = 'fail';
    const held = stub.holdDeployment();
    const refused = await runFleet(['deploy', '--marathon', stub.url, '--tag', 'conflict', '--timeout', '60']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`Marathon answered 409: a deployment is in progress \\(${held}\\)`));
    assert.match(refused.stderr, /--force/);

    const forced = await runFleet(['deploy', '--marathon', stub.url, '--tag', 'conflict', '--force', '--timeout', '60']);
    assert.ok(stub.requests.some((request) => request.method === 'PUT' && request.url === '/v2/groups?force=true'));
    assert.doesNotMatch(forced.stderr, /409/);
  });

  it("answers 422 (a definition the schema allows but Marathon refuses) by printing Marathon's details", async () => {
    const group = marathonGroup({ tag: 'bad', version: 'bad', config: loadFleetConfig(ROOT) });
    group.apps[1].constraints = [['hostname', 'UNIQUELY']];
    group.apps[2].constraints = [['rack', 'MAX_PER', 'two']];
    const file = join(scratch, 'invalid.group.json');
    writeFileSync(file, JSON.stringify(group));
    const result = await runFleet(['deploy', '--marathon', stub.url, '--file', file, '--timeout', '60']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /Marathon answered 422: the definition is invalid \(Object is not valid\)/);
    assert.match(result.stderr, /\/apps\(1\)\/constraints\(0\): error\.constraint\.operator/);
    assert.match(result.stderr, /\/apps\(2\)\/constraints\(0\): error\.constraint\.value/);
    assert.equal(stub.deployments.size, 0);
  });

  it('reports a failed (rolled back) deployment with the task failure', async () => {
    stub.mode = 'fail';
    const result = await runFleet(['deploy', '--marathon', stub.url, '--tag', 'doomed', '--timeout', '60']);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /deployment \S+ failed: the group is at version \S+, not \S+ \(rolled back, cancelled or superseded\)/,
    );
    assert.match(result.stderr, /\/mmp\/ingest: TASK_FAILED Container exited with status 1/);
  });

  it('fails clearly when Marathon does not answer', async () => {
    const url = stub.url;
    await stub.close();
    const result = await runFleet(['deploy', '--marathon', url, '--tag', 'nobody', '--timeout', '10']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /Marathon at http:\/\/127\.0\.0\.1:\d+ does not answer/);
    stub = new MarathonStub();
    await stub.start();
  });
});
