import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { ROOT } from '../support/infra';
import { runFleet } from './support/cli';

describe('Marathon app definitions', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'mmp-definitions-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it("are what `fleet definitions` generates, and pass Marathon's schema (--check, with the copy in the repository)", async () => {
    const result = await runFleet(['definitions', '--check']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /4 app definitions pass Marathon's app schema/);
    assert.match(result.stderr, /9 generated files match/);
  });

  it('fleet deploy --file refuses a definition that fails the schema, naming each problem, and sends nothing', async () => {
    const group = JSON.parse(readFileSync(resolve(ROOT, 'deploy/marathon/fleet.group.json'), 'utf8'));
    group.apps[0] = { ...group.apps[0], cpus: 'half', healthcheck: group.apps[0].healthChecks };
    group.apps[3].constraints = [['hostname']];
    const broken = join(scratch, 'broken.json');
    writeFileSync(broken, JSON.stringify(group));
    // Nothing listens on port 9 (discard): had the tool sent anything, it would fail with "does not answer" instead.
    const result = await runFleet(['deploy', '--marathon', 'http://127.0.0.1:9', '--file', broken]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /apps\[0\] \/mmp\/ingest: \/cpus must be number/);
    assert.match(result.stderr, /apps\[0\] \/mmp\/ingest: \/healthcheck is not a Marathon app field/);
    assert.match(result.stderr, /apps\[3\] \/mmp\/aggregates: \/constraints\/0 must NOT have fewer than 2 items/);
    assert.match(result.stderr, /does not pass Marathon's app schema \(3 problem\(s\) above\)/);
    assert.doesNotMatch(result.stderr, /does not answer|deploying/);

    writeFileSync(broken, '{"id": "/mmp", "apps": [');
    const notJson = await runFleet(['deploy', '--marathon', 'http://127.0.0.1:9', '--file', broken]);
    assert.equal(notJson.code, 1);
    assert.match(notJson.stderr, /broken\.json is not JSON/);
  });

  it('--check fails on a tree whose files were edited by hand, naming them', async () => {
    const tree = join(scratch, 'tree');
    cpSync(resolve(ROOT, 'deploy'), join(tree, 'deploy'), { recursive: true });
    const edited = join(tree, 'deploy/marathon/attribution.json');
    writeFileSync(edited, readFileSync(edited, 'utf8').replace('"instances": 1', '"instances": 3'));
    rmSync(join(tree, 'deploy/docker/ingest.Dockerfile'));
    const result = await runFleet(['definitions', '--check', '--root', tree]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /deploy\/marathon\/attribution\.json differs/);
    assert.match(result.stderr, /deploy\/docker\/ingest\.Dockerfile missing/);
  });
});
