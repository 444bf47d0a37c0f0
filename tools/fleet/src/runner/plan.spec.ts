import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadFleetConfig } from '../config/fleet-config';
import { FLEET, marathonApp } from '../definitions/fleet';
import { ROOT } from '../paths';
import { planInstances, portFor, processArgv, processEnv } from './plan';

const ingest = marathonApp(FLEET[0], { tag: 't', version: 'v1', config: loadFleetConfig(ROOT) });

describe('local runner plan', () => {
  it('makes one instance per definition instance, each with its own id, PORT=0 and the definition env', () => {
    const plans = planInstances(ingest, 'run1', { REDIS_URL: 'redis://127.0.0.1:6390' });
    assert.equal(plans.length, ingest.instances);
    assert.deepEqual(
      plans.map((plan) => plan.instanceId),
      ['ingest-local-run1-0', 'ingest-local-run1-1'],
    );
    for (const plan of plans) {
      assert.equal(plan.env.PORT, '0');
      assert.equal(plan.env.INSTANCE_ID, plan.instanceId);
      assert.equal(plan.env.SERVICE_VERSION, 'v1');
      assert.equal(plan.env.REDIS_URL, 'redis://127.0.0.1:6390');
      assert.equal(plan.image, '127.0.0.1:5000/mmp/ingest:t');
      assert.equal(plan.env.HOST, '127.0.0.1', "Marathon's HOST: this machine is the agent");
      assert.equal(plan.healthPath, '/health/live');
      assert.deepEqual(plan.args, ['node', 'dist/bundles/ingest.js']);
    }
  });

  it("uses the definition's port only when it requires it, and refuses two instances on one fixed port", () => {
    assert.equal(portFor({ requirePorts: false, portDefinitions: [{ port: 3100, name: 'http', protocol: 'tcp' }] }), '0');
    assert.equal(portFor({ requirePorts: true, portDefinitions: [{ port: 3100, name: 'http', protocol: 'tcp' }] }), '3100');
    const fixed = { ...ingest, requirePorts: true, portDefinitions: [{ port: 3100, name: 'http', protocol: 'tcp' as const }] };
    assert.throws(() => planInstances(fixed, 'r'), /cannot share the required port 3100/);
    assert.equal(planInstances({ ...fixed, instances: 1 }, 'r')[0].env.PORT, '3100');
  });

  it("plays the definition's named volumes with directories under the local volume root for processes", () => {
    const [plan] = planInstances(ingest, 'r', {}, '/work/.run/volumes');
    assert.deepEqual(plan.volumes, [
      { name: 'mmp-ingest-spool', containerPath: '/var/lib/mmp/ingest/spool', local: '/work/.run/volumes/mmp-ingest-spool' },
    ]);
    assert.equal(plan.env.SPOOL_DIR, '/var/lib/mmp/ingest/spool');
    const env = processEnv({ SPOOL_DIR: '/var/lib/mmp/ingest/spool/x', OTHER: '/var/lib/mmp/ingest/spoolish' }, plan.volumes);
    assert.deepEqual(env, { SPOOL_DIR: '/work/.run/volumes/mmp-ingest-spool/x', OTHER: '/var/lib/mmp/ingest/spoolish' });
  });

  it('refuses a definition without a command', () => {
    assert.throws(() => planInstances({ ...ingest, args: [] }, 'r'), /needs args/);
  });

  it('runs node as this very node binary', () => {
    assert.deepEqual(processArgv(['node', 'dist/bundles/ingest.js'], '/opt/node'), ['/opt/node', 'dist/bundles/ingest.js']);
    assert.deepEqual(processArgv(['/bin/true'], '/opt/node'), ['/bin/true']);
  });
});
