import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { deleteApp, infra, putApp, waitFor, type TestApp } from '../support/infra';
import { startServiceProcess, type ServiceProcess } from '../support/service-process';
import { countById, install, newSpoolRoot, RawTopicReader, startIngest, type RunningIngest } from './ingest-harness';

describe('ingest: Kafka outage and the spool', () => {
  let app: TestApp;
  const running: RunningIngest[] = [];
  let crashed: ServiceProcess | undefined;
  let reader: RawTopicReader | undefined;

  const start = async (env: Record<string, string> = {}) => {
    const ingest = await startIngest(env);
    running.push(ingest);
    await waitFor(`ingest to know ${app.record.app_id}`, () => ingest.context.apps.get(app.record.app_id));
    return ingest;
  };

  const post = (url: string, body: unknown) =>
    request(url)
      .post(`/v1/apps/${app.record.app_id}/events`)
      .set('X-Sdk-Key', app.record.sdk_key)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(body));

  const batchOf = (count: number, device: string, overrides: Record<string, unknown> = {}) =>
    Array.from({ length: count }, () => install(device, overrides));
  const ids = (events: Record<string, unknown>[]) => events.map((event) => event.event_id as string);

  before(async () => {
    app = await putApp();
  });

  after(async () => {
    // Whatever happened, Kafka must be running for the next test file.
    await infra('start', 'kafka');
    await crashed?.stop('SIGKILL');
    await reader?.stop();
    for (const ingest of running) await ingest.stop();
    await deleteApp(app.record.app_id);
  });

  it('accepts into the spool while Kafka is down, replays every event exactly once and in order, and a new process adopts a crashed one', async () => {
    const from = Date.now() - 5000;
    const spooling = await start();
    const small = await start({ SPOOL_MAX_BYTES: String(64 * 1024) });
    const crashedRoot = newSpoolRoot();
    const batches = [
      batchOf(20, 'outage-device'),
      batchOf(20, 'outage-device'),
      batchOf(20, 'outage-device'),
      batchOf(20, 'outage-device'),
    ];
    const refused = batchOf(1000, 'refused-device', { customer_user_id: 'c'.repeat(100) });
    const orphaned = batchOf(30, 'crash-device');

    try {
      await infra('stop', 'kafka');

      for (const batch of batches)
        assert.deepEqual((await post(spooling.url, { events: batch }).expect(202)).body, { accepted: 20, duplicates: 0 });
      assert.deepEqual((await post(spooling.url, { events: batches[0] }).expect(202)).body, { accepted: 0, duplicates: 20 });
      await request(spooling.url).get(`/v1/click/${app.record.app_id}?pid=outage&clickid=outage-click`).expect(302);

      const health = await request(spooling.url).get('/health');
      assert.equal(health.status, 429, JSON.stringify(health.body));
      assert.equal(health.body.status, 'warning');
      assert.equal(health.body.checks.spool.status, 'warning');
      assert.equal(health.body.checks.kafka.status, 'warning');
      assert.equal(health.body.checks.redis.status, 'passing');

      const full = await post(small.url, { events: refused }).expect(503);
      assert.deepEqual(full.body, { error: 'unavailable' });
      // A full spool answers 503 to every write: Consul must stop routing to it.
      const fullHealth = await request(small.url).get('/health');
      assert.equal(fullHealth.status, 503, JSON.stringify(fullHealth.body));
      assert.equal(fullHealth.body.checks.spool.status, 'critical');

      crashed = await startServiceProcess('ingest', { SPOOL_DIR: crashedRoot });
      await waitFor('the child to know the app', async () => (await post(crashed!.url, { events: [] })).status === 400, 15_000);
      assert.deepEqual((await post(crashed.url, { events: orphaned }).expect(202)).body, { accepted: 30, duplicates: 0 });
      await crashed.stop('SIGKILL');
    } finally {
      await infra('start', 'kafka');
    }

    reader = await RawTopicReader.start(from);
    await waitFor('the spool to drain', async () => (await request(spooling.url).get('/health')).status === 200, 180_000, 500);
    const sentinel = install('outage-device');
    await post(spooling.url, sentinel).expect(202);
    const expected = [...batches.flatMap(ids), sentinel.event_id as string];
    const read = await reader.waitForIds(app.record.app_id, expected, 60_000);
    const outage = read.filter(({ event }) => event.device.advertising_id === 'outage-device');
    assert.deepEqual(
      outage.map(({ event }) => event.event_id),
      expected,
      'every spooled event once, in the order accepted, before what came after',
    );
    assert.equal(read.filter(({ event }) => event.click?.click_id === 'outage-click').length, 1);

    // The refused batch left no event_id marked seen: it is accepted in full now.
    assert.deepEqual((await post(small.url, { events: refused }).expect(202)).body, { accepted: 1000, duplicates: 0 });

    // A process started on the crashed one's spool root adopts and replays its spool, then removes it.
    const adopter = await start({ SPOOL_DIR: crashedRoot });
    await reader.waitForIds(app.record.app_id, ids(orphaned), 60_000);
    await waitFor(
      'the adopted spool to drain',
      async () => (await request(adopter.url).get('/health')).status === 200,
      60_000,
      250,
    );
    const adopterSentinel = install('crash-device');
    await post(adopter.url, adopterSentinel).expect(202);
    await reader.waitForIds(app.record.app_id, [adopterSentinel.event_id as string]);
    const counts = countById(
      reader.events(app.record.app_id).filter(({ event }) => event.device.advertising_id === 'crash-device'),
    );
    for (const id of ids(orphaned)) assert.equal(counts.get(id), 1, `orphaned ${id} read ${counts.get(id)} times`);
    await waitFor(
      'only the adopter to own a directory',
      async () => (await readdir(crashedRoot)).filter((name) => !name.startsWith('.')).length === 1,
    );
  });
});
