import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { ROOT } from '../support/infra';
import { run, runFleet } from './support/cli';

const CHECKER = resolve(ROOT, '../shared/tools/check-marathon.mjs');
const FILES = ['ingest', 'attribution', 'raw-reports', 'aggregates', 'fleet.group'].map((name) => `deploy/marathon/${name}.json`);

describe('Marathon app definitions', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'mmp-definitions-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it("pass Marathon's published schema (check-marathon.mjs)", async () => {
    const result = await run(process.execPath, [CHECKER, ...FILES], { timeoutMs: 180_000 });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^8 app definitions checked, 0 failed$/m);
  });

  it('and the checker does reject a broken one', async () => {
    const app = JSON.parse(readFileSync(resolve(ROOT, 'deploy/marathon/ingest.json'), 'utf8'));
    const broken = join(scratch, 'broken.json');
    writeFileSync(broken, JSON.stringify({ ...app, cpus: 'half', healthcheck: app.healthChecks }));
    const result = await run(process.execPath, [CHECKER, broken], { timeoutMs: 180_000 });
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stdout, /\/cpus must be number/);
    assert.match(result.stdout, /\/healthcheck is not a Marathon app field/);
  });

  it('are what `fleet definitions` generates (--check passes on the committed files)', async () => {
    const result = await runFleet(['definitions', '--check']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /9 generated files match/);
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
