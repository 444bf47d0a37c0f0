import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadFleetConfig } from '../config/fleet-config';
import { FLEET, marathonApp } from '../definitions/fleet';
import { ROOT } from '../paths';
import { explain, formatDetails } from './client';
import { arrival, describeDeployment, failureOf } from './deploy';

describe('Marathon answers', () => {
  it('409 says a deployment is in progress, names it and points at --force', () => {
    const error = explain(
      409,
      { message: 'App is locked by one or more deployments.', deployments: [{ id: 'd-1' }] },
      'PUT /v2/groups',
    );
    assert.equal(error.status, 409);
    assert.match(error.message, /deployment is in progress \(d-1\)/);
    assert.match(error.message, /--force/);
  });

  it("422 prints Marathon's details, one per line", () => {
    const body = { message: 'Object is not valid', details: [{ path: '/apps(0)/cpus', errors: ['error.min', 'must be > 0'] }] };
    assert.deepEqual(formatDetails(body), ['/apps(0)/cpus: error.min; must be > 0']);
    const error = explain(422, body, 'PUT /v2/groups');
    assert.match(error.message, /invalid \(Object is not valid\)\n {2}\/apps\(0\)\/cpus: error\.min; must be > 0/);
  });

  it('other answers keep their status and message', () => {
    assert.match(explain(500, { message: 'boom' }, 'GET /v2/deployments').message, /answered 500: boom/);
  });
});

describe('following a deployment', () => {
  it('describes the current step and actions', () => {
    const text = describeDeployment({
      id: 'd',
      version: 'v',
      affectedApps: [],
      currentStep: 1,
      totalSteps: 2,
      currentActions: [{ action: 'StartApplication', app: '/mmp/ingest' }],
    });
    assert.equal(text, 'step 1/2: StartApplication /mmp/ingest');
  });

  it('counts a deployment as failed when the group does not carry its version, with the task failures', () => {
    assert.equal(failureOf('v2', 'v2', []), undefined);
    const failure = failureOf('v1', 'v2', [
      { id: '/mmp/ingest', version: 'v1', instances: 1, lastTaskFailure: { state: 'TASK_FAILED', message: 'exited 1' } },
    ]);
    assert.match(failure!, /version v1, not v2/);
    assert.match(failure!, /\/mmp\/ingest: TASK_FAILED exited 1/);
  });

  it('counts only passing instances of the new version in Consul', () => {
    const app = marathonApp(FLEET[0], { tag: 'new', version: 'new', config: loadFleetConfig(ROOT) });
    const instance = (id: string, version: string) => ({ id, service: 'ingest', address: '127.0.0.1', port: 1, version });
    assert.deepEqual(arrival(app, [instance('a', 'old'), instance('b', 'new')]), {
      service: 'ingest',
      version: 'new',
      passing: 1,
      wanted: 2,
    });
  });
});
