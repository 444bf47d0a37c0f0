import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { loadFleetConfig } from '../config/fleet-config';
import { marathonGroup } from '../definitions/fleet';
import { ROOT } from '../paths';
import { loadSchemaChecker } from './schema';

const checker = loadSchemaChecker(ROOT);
const group = marathonGroup({ tag: 'abc', version: 'abc', config: loadFleetConfig(ROOT) });

describe("Marathon's app schema, in the tool", () => {
  it('passes every rendered app and the group, and the committed files', () => {
    for (const app of group.apps) assert.deepEqual(checker.checkApp(app), [], app.id);
    assert.deepEqual(checker.checkDefinition(group), []);
    for (const name of ['ingest', 'attribution', 'raw-reports', 'aggregates', 'fleet.group']) {
      const committed = JSON.parse(readFileSync(resolve(ROOT, `deploy/marathon/${name}.json`), 'utf8'));
      assert.deepEqual(checker.checkDefinition(committed), [], name);
    }
  });

  it('names wrong types, values out of range, bad constraints and fields Marathon does not know', () => {
    const app = structuredClone(group.apps[0]) as unknown as Record<string, unknown>;
    Object.assign(app, { cpus: 'half', instances: -1, constraints: [['hostname', 'UNIQUE', 'x', 'y']] });
    app.healthcheck = app.healthChecks;
    const problems = checker.checkApp(app);
    assert.ok(problems.includes('/cpus must be number'), problems.join('\n'));
    assert.ok(problems.includes('/instances must be >= 0'), problems.join('\n'));
    assert.ok(problems.includes('/constraints/0 must NOT have more than 3 items'), problems.join('\n'));
    assert.ok(problems.includes('/healthcheck is not a Marathon app field'), problems.join('\n'));
  });

  it("prefixes a group's problems with the app, and refuses a group without apps", () => {
    const broken = structuredClone(group);
    (broken.apps[2] as unknown as Record<string, unknown>).mem = -5;
    assert.deepEqual(checker.checkDefinition(broken), ['apps[2] /mmp/raw-reports: /mem must be >= 0']);
    assert.deepEqual(checker.checkDefinition({ id: '/mmp', apps: [] }), ['group: /apps must be a non-empty array']);
    assert.deepEqual(checker.checkDefinition({ id: '/x', cmd: 'a', args: ['b'] }), ['/x: / cmd and args together are invalid']);
  });
});
