import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { banner } from './banner';

const running = ['ingest', 'attribution', 'raw-reports', 'aggregates'].map((service, index) => ({
  service,
  instanceId: `${service}-local-r-0`,
  port: 4000 + index,
  url: `http://127.0.0.1:${4000 + index}`,
  logFile: '/dev/null',
}));

describe('fleet up banner', () => {
  it('lists every health URL, the Consul UI and the StatsD admin port', () => {
    const text = banner(running, {});
    for (const instance of running) assert.ok(text.includes(`${instance.url}/health`));
    assert.ok(text.includes('http://127.0.0.1:8500/ui/'));
    assert.ok(text.includes('127.0.0.1:8126'));
    assert.ok(text.includes('Dashboard      http://127.0.0.1:4003/dashboard'));
    assert.equal(text.includes('curl'), false);
  });

  it('prints curl lines for the seeded demo app against the real ports', () => {
    const text = banner(running, { MMP_DEMO_APP_ID: 'com.example.demo', MMP_DEMO_SDK_KEY: 'k_1', MMP_DEMO_API_TOKEN: 't_1' });
    assert.ok(text.includes("curl -i 'http://127.0.0.1:4000/v1/click/com.example.demo?pid="));
    assert.ok(text.includes('curl -i -X POST http://127.0.0.1:4000/v1/apps/com.example.demo/events'));
    assert.ok(text.includes("'X-Sdk-Key: k_1'"));
    assert.ok(text.includes("'Authorization: Bearer t_1' \"http://127.0.0.1:4002/v1/apps/com.example.demo/raw/installs?"));
  });
});
