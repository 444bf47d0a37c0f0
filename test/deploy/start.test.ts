import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { FLEET } from '@mmp/fleet';
import { CONSUL, consulHealth, portAnswers, waitFor } from '../support/infra';
import { spawnLong, type LongRunning } from './support/cli';
import { cleanUpRun } from './support/docker';

describe('npm start (scripts/start.sh)', () => {
  let start: LongRunning | undefined;
  after(async () => {
    await start?.stop('SIGTERM');
    await cleanUpRun(start?.output().match(/run ([0-9a-f]{6}): starting/)?.[1]);
  });

  it('prepares, seeds a demo app, brings the fleet up, prints the URLs and keys, and stops on Ctrl-C', async () => {
    start = spawnLong('bash', ['scripts/start.sh']);
    await start.waitForOutput(/the fleet is up \(5 instances passing in Consul\)/, 900_000);
    const output = start.output();
    assert.match(output, /Consul UI {6}http:\/\/127\.0\.0\.1:8500\/ui\//);
    assert.match(output, /StatsD admin {3}tcp:\/\/127\.0\.0\.1:8126/);
    const healthUrls = [...output.matchAll(/(\S+)-local-[0-9a-f]{6}-\d+ +(http:\/\/127\.0\.0\.1:\d+)\/health/g)];
    assert.equal(healthUrls.length, 5);
    // Each printed URL answers. A consumer working through the shared topics' backlog may be
    // briefly degraded (a slow Redis ping) right after the fleet first passed; it must pass again.
    for (const [, , url] of healthUrls) {
      let last = '';
      await waitFor(
        `${url}/health to answer 200`,
        async () => {
          const health = await fetch(`${url}/health`);
          last = `${health.status} ${await health.text()}`;
          return health.status === 200;
        },
        60_000,
        500,
      ).catch((error: Error) => assert.fail(`${error.message}; last answer ${last}`));
    }

    const appId = output.match(/app_id +(\S+)/)![1];
    const sdkKey = output.match(/sdk_key +(k_[0-9a-f]+)/)![1];
    assert.match(output, /api_token +t_[0-9a-f]+/);
    const record = (await (await fetch(`${CONSUL}/v1/kv/mmp/apps/${appId}?raw`)).json()) as { sdk_key: string };
    assert.equal(record.sdk_key, sdkKey);
    assert.ok(output.includes(`curl -i -X POST ${healthUrls[0][2]}/v1/apps/${appId}/events -H 'X-Sdk-Key: ${sdkKey}'`));
    assert.ok(output.includes(`curl -i '${healthUrls[0][2]}/v1/click/${appId}?pid=`));
    assert.match(output, /npm run infra down/);

    const stopped = await start.stop('SIGINT');
    assert.equal(stopped.code, 0, start.output().slice(-3000));
    assert.match(start.output(), /all 5 instances stopped cleanly/);
    for (const { name } of FLEET) {
      const left = (await consulHealth(name)).filter(
        (entry) => /-local-/.test(entry.Service.ID) && output.includes(entry.Service.ID),
      );
      assert.deepEqual(left, []);
    }
    // The infrastructure stays up for the next `npm start`.
    assert.equal(await portAnswers(8500), true);
  });
});
