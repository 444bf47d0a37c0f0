import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { closeRedis, connectRedis, createRedis, HeldQueue, TOPIC_PARTITIONS, TOPICS, type RedisClient } from '@mmp/common';
import { deleteApp, putApp, REDIS_URL, uniqueId, waitFor, type TestApp } from '../support/infra';
import { quietLogger } from '../support/kafka';
import { startServiceProcess } from '../support/service-process';
import { positionGroup, produceRaw, rawEvent, TopicReader, type ReadRecord } from './attribution-harness';

const S = 1000;

describe('attribution as a process: backlog and kill -9', () => {
  const startedAt = Date.now() - 5 * S;
  const group = uniqueId('attribution-crash');
  const env = { ATTRIBUTION_GROUP: group, ATTRIBUTION_KEY_PREFIX: uniqueId('attr-crash'), LOG_LEVEL: 'warn' };
  let app: TestApp;
  let attributed: TopicReader;
  let redis: RedisClient;

  before(async () => {
    app = await putApp();
    redis = createRedis(REDIS_URL, quietLogger);
    connectRedis(redis);
    await positionGroup(group, TOPICS.raw, startedAt);
    attributed = await TopicReader.start(TOPICS.attributed, startedAt);
  });

  after(async () => {
    await attributed?.stop();
    await closeRedis(redis);
    if (app) await deleteApp(app.record.app_id);
  });

  const copiesOf = (id: string): ReadRecord[] =>
    attributed.ofApp(app.record.app_id).filter((record) => record.value.event_id === id);

  it('attributes every install to its probabilistic click after a SIGSTOP backlog, clicks and installs on different partitions', async () => {
    const service = await startServiceProcess('attribution', env);
    try {
      service.child.kill('SIGSTOP');
      const devices = Array.from({ length: 24 }, (_, index) => ({
        index,
        ip: `10.77.${Math.floor(Math.random() * 250)}.${index + 1}`,
        agent: `BacklogAgent/${index}.${Math.random()}`,
      }));
      const clicks = devices.map(({ index, ip, agent }) =>
        rawEvent(app.record.app_id, 'click', {
          ip,
          userAgent: agent,
          mediaSource: `net-${index}`,
          eventTimeMs: Date.now() - 30 * S,
        }),
      );
      const installs = devices.map(({ index, ip, agent }) =>
        rawEvent(app.record.app_id, 'install', { advertisingId: `backlog-${index}`, ip, userAgent: agent }),
      );
      await produceRaw([
        ...clicks.map((event, index) => ({ event, partition: index % TOPIC_PARTITIONS })),
        ...installs.map((event, index) => ({ event, partition: (index + 6) % TOPIC_PARTITIONS })),
      ]);
      service.child.kill('SIGCONT');
      const read = await attributed.waitForIds(
        app.record.app_id,
        installs.map((install) => install.event_id),
        90_000,
      );
      for (const [index, install] of installs.entries()) {
        const attribution = read.get(install.event_id)!.value.attribution as Record<string, unknown>;
        assert.deepEqual([attribution.media_source, attribution.match_type], [`net-${index}`, 'probabilistic']);
      }
    } finally {
      await service.stop();
    }
  });

  it('loses nothing and decides nothing twice differently when killed with installs waiting', async () => {
    const queue = new HeldQueue(redis, group, TOPICS.raw);
    const waiting = async () => {
      let count = 0;
      for (let partition = 0; partition < TOPIC_PARTITIONS; partition++) count += (await queue.stats(partition)).count;
      return count;
    };
    const first = await startServiceProcess('attribution', env);
    const devices = Array.from({ length: 10 }, (_, index) => `crash-${index}`);
    const clicks = devices.map((aid, index) =>
      rawEvent(app.record.app_id, 'click', {
        advertisingId: aid,
        mediaSource: `crash-net-${index}`,
        eventTimeMs: Date.now() - 10 * S,
      }),
    );
    // Received 8 s ahead: the watermark holds them for 10 s, long enough to kill the process while they wait.
    const installs = devices.map((aid) =>
      rawEvent(app.record.app_id, 'install', { advertisingId: aid, receivedAtMs: Date.now() + 8 * S }),
    );
    try {
      await produceRaw([...clicks, ...installs]);
      await waitFor('every install parked', async () => (await waiting()) >= installs.length, 30_000, 100);
    } finally {
      await first.stop('SIGKILL');
    }
    assert.ok(
      installs.every((install) => copiesOf(install.event_id).length === 0),
      'nothing was decided before the kill',
    );
    const second = await startServiceProcess('attribution', env);
    try {
      await attributed.waitForIds(
        app.record.app_id,
        installs.map((install) => install.event_id),
        120_000,
      );
      await waitFor('the held queue to empty', async () => (await waiting()) === 0, 30_000, 200);
      for (const [index, install] of installs.entries()) {
        const copies = copiesOf(install.event_id);
        const attribution = copies[0].value.attribution as Record<string, unknown>;
        assert.deepEqual(
          [attribution.media_source, attribution.match_type, copies[0].value.is_reinstall],
          [`crash-net-${index}`, 'id_matching', false],
        );
        for (const copy of copies) assert.equal(copy.text, copies[0].text, 'a second copy is the same decision');
      }
    } finally {
      await second.stop();
    }
  });
});
