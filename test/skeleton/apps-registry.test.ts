import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { AppsRegistry, createConsul, createLogger } from '@mmp/common';
import { CONSUL, deleteApp, putApp, waitFor } from '../support/infra';

const registry = new AppsRegistry(createConsul({ host: '127.0.0.1', port: 8500 }), createLogger('test', 'silent'));
after(() => registry.stop());

describe('apps registry (Consul KV)', () => {
  it('a new app, a changed key and a deleted app reach a running registry within 5 s, without restart', async () => {
    await registry.start();
    assert.ok(registry.isLoaded());
    const { record } = await putApp();
    await waitFor('the new app', () => registry.get(record.app_id)?.sdk_key === record.sdk_key, 5000);
    assert.equal(registry.get(record.app_id)?.click_lookback_hours, 168);

    await fetch(`${CONSUL}/v1/kv/mmp/apps/${record.app_id}`, {
      method: 'PUT',
      body: JSON.stringify({ ...record, sdk_key: 'k_changed' }),
    });
    await waitFor('the changed key', () => registry.get(record.app_id)?.sdk_key === 'k_changed', 5000);

    await deleteApp(record.app_id);
    await waitFor('the deleted app gone', () => registry.get(record.app_id) === undefined, 5000);
  });

  it('fills the optional lookbacks with their defaults and ignores an entry that does not match the schema', async () => {
    const { record } = await putApp({ click_lookback_hours: 48 });
    const { probabilistic_lookback_hours: _dropped, ...withoutProbabilistic } = record;
    await fetch(`${CONSUL}/v1/kv/mmp/apps/${record.app_id}`, { method: 'PUT', body: JSON.stringify(withoutProbabilistic) });
    await fetch(`${CONSUL}/v1/kv/mmp/apps/broken.app`, { method: 'PUT', body: '{"app_id":"broken.app","sdk_key":""}' });
    await waitFor('the valid app', () => registry.get(record.app_id)?.probabilistic_lookback_hours === 24, 5000);
    assert.equal(registry.get(record.app_id)?.click_lookback_hours, 48);
    assert.equal(registry.get('broken.app'), undefined);
    await deleteApp('broken.app');
    await deleteApp(record.app_id);
  });
});

describe('Consul web UI', () => {
  it('answers at /ui/ for ops', async () => {
    const response = await fetch(`${CONSUL}/ui/`);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /consul/i);
  });
});
