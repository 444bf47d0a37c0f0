import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { closeRedis, createLogger, createRedis, type RedisClient } from '@mmp/common';
import { EventIdDedupe } from '@mmp/ingest/dist/store/event-id-dedupe';
import { deleteApp, infra, putApp, REDIS_URL, uniqueId, waitFor, type TestApp } from '../support/infra';
import { countById, install, RawTopicReader, startIngest, type RunningIngest } from './ingest-harness';

const CLAIMED = 0;
const SEEN = 1;
const CLAIMED_ELSEWHERE = 2;

describe('ingest: event_id deduplication (EventIdDedupe on the real Redis)', () => {
  let redis: RedisClient;
  const keys: string[] = [];

  before(async () => {
    redis = createRedis(REDIS_URL, createLogger('dedupe-test', 'silent'));
    await redis.connect();
  });

  after(async () => {
    if (keys.length > 0) await redis.del(keys).catch(() => undefined);
    await closeRedis(redis);
  });

  it('claims new ids once, tells another claimant they are taken, and marks confirmed ids seen', async () => {
    const dedupe = new EventIdDedupe(redis, 60_000);
    const appId = uniqueId('dedupe-app');
    const ids = ['evt-first-0001', 'evt-second-002'];
    const first = await dedupe.claim(appId, ids);
    keys.push(...first.keys);
    assert.deepEqual(first.outcomes, [CLAIMED, CLAIMED]);
    assert.deepEqual((await dedupe.claim(appId, ids)).outcomes, [CLAIMED_ELSEWHERE, CLAIMED_ELSEWHERE]);
    assert.deepEqual((await dedupe.claim(appId, ids, first.token)).outcomes, [CLAIMED, CLAIMED], 'its own claim again');

    await dedupe.confirm([first.keys[0]], [Date.now() + 60_000]);
    const other = await dedupe.claim(appId, ids);
    assert.deepEqual(other.outcomes, [SEEN, CLAIMED_ELSEWHERE]);
    await dedupe.release(other.token, other.keys);
    assert.deepEqual((await dedupe.claim(appId, ids)).outcomes, [SEEN, CLAIMED_ELSEWHERE], 'a stranger releases nothing');
    await dedupe.release(first.token, first.keys);
    assert.deepEqual((await dedupe.claim(appId, ids)).outcomes, [SEEN, CLAIMED], 'a release frees the claim, not the seen mark');
  });

  it('lets the claim of a request that never finished lapse', async () => {
    const dedupe = new EventIdDedupe(redis, 300);
    const appId = uniqueId('dedupe-app');
    const crashed = await dedupe.claim(appId, ['evt-crashed-01']);
    keys.push(...crashed.keys);
    assert.deepEqual((await dedupe.claim(appId, ['evt-crashed-01'])).outcomes, [CLAIMED_ELSEWHERE]);
    await waitFor('the claim to lapse', async () => (await dedupe.claim(appId, ['evt-crashed-01'])).outcomes[0] === CLAIMED);
  });
});

describe('ingest: the same event_id in concurrent requests, and Redis down', () => {
  let ingest: RunningIngest;
  let reader: RawTopicReader;
  let app: TestApp;

  before(async () => {
    const from = Date.now() - 5000;
    ingest = await startIngest();
    reader = await RawTopicReader.start(from);
    app = await putApp();
    await waitFor(`ingest to know ${app.record.app_id}`, () => ingest.context.apps.get(app.record.app_id));
  });

  after(async () => {
    await infra('start', 'redis');
    await reader?.stop();
    await ingest?.stop();
    if (app) await deleteApp(app.record.app_id);
  });

  const post = (body: unknown) =>
    request(ingest.url)
      .post(`/v1/apps/${app.record.app_id}/events`)
      .set('X-Sdk-Key', app.record.sdk_key)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(body));

  it('accepts an event_id sent by two requests at once exactly once', async () => {
    for (let round = 0; round < 5; round++) {
      const event = install(`concurrent-${round}`);
      const answers = await Promise.all([post(event), post(event), post(event)]);
      for (const answer of answers) assert.equal(answer.status, 202, JSON.stringify(answer.body));
      assert.deepEqual(
        answers.map((answer) => answer.body.accepted).sort(),
        [0, 0, 1],
        JSON.stringify(answers.map((answer) => answer.body)),
      );
      const sentinel = install(`concurrent-${round}`);
      await post(sentinel).expect(202);
      // Same key, same partition: once the sentinel is read, any second copy would have been read too.
      await reader.waitForIds(app.record.app_id, [sentinel.event_id as string]);
      assert.equal(countById(reader.events(app.record.app_id)).get(event.event_id as string), 1);
    }
  });

  it('answers 503 and is critical while Redis is down, and recovers by itself', async () => {
    try {
      await infra('stop', 'redis');
      await waitFor('a 503 without Redis', async () => (await post(install('redis-down'))).status === 503);
      const refused = await post(install('redis-down'));
      assert.deepEqual([refused.status, refused.body], [503, { error: 'unavailable' }]);
      const health = await request(ingest.url).get('/health');
      assert.equal(health.status, 503);
      assert.equal(health.body.checks.redis.status, 'critical');
    } finally {
      await infra('start', 'redis');
    }
    await waitFor('health to pass again', async () => (await request(ingest.url).get('/health')).status === 200, 30_000);
    await post(install('redis-back')).expect(202);
  });
});
