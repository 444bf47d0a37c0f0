import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dlqTopicOf, TOPICS } from '@mmp/common';
import { deleteApp, putApp, uniqueId, waitFor, type TestApp } from '../support/infra';
import { produce } from '../support/kafka';
import { statsdValue } from '../support/statsd';
import {
  positionGroup,
  produceRaw,
  rawEvent,
  startAttribution,
  TopicReader,
  type RawEventFields,
  type RunningAttribution,
} from './attribution-harness';

const S = 1000;

describe('attribution over real Kafka and Redis', () => {
  const startedAt = Date.now() - 5 * S;
  const group = uniqueId('attribution-test');
  const keyPrefix = uniqueId('attr-test');
  let app: TestApp;
  let service: RunningAttribution | undefined;
  let attributed: TopicReader;
  let dlq: TopicReader;

  before(async () => {
    app = await putApp();
    await positionGroup(group, TOPICS.raw, startedAt);
    [attributed, dlq] = await Promise.all([
      TopicReader.start(TOPICS.attributed, startedAt),
      TopicReader.start(dlqTopicOf(TOPICS.raw), startedAt),
    ]);
    service = await startAttribution(group, keyPrefix);
  });

  after(async () => {
    await service?.stop();
    await Promise.all([attributed?.stop(), dlq?.stop()]);
    if (app) await deleteApp(app.record.app_id);
  });

  const appId = () => app.record.app_id;
  const attributionOf = (record: { value: Record<string, unknown> }) => record.value.attribution as Record<string, unknown>;

  // A scripted day, with the expected attribution of each event written out by hand below.
  const script: Record<string, RawEventFields> = {};

  it('attributes a scripted set of clicks, impressions, installs, reinstalls and in-app events', async () => {
    const now = Date.now();
    // Fixed received_at times: each device's install is received before its in-app events.
    const ip = `198.51.100.${Math.floor(Math.random() * 200) + 1}`;
    const agent = `ScriptAgent/${Math.random()}`;
    Object.assign(script, {
      clickA: rawEvent(appId(), 'click', {
        advertisingId: 'aid-A',
        eventTimeMs: now - 60 * S,
        mediaSource: 'net-a',
        campaign: 'ca',
      }),
      impressionA: rawEvent(appId(), 'impression', {
        advertisingId: 'aid-A',
        eventTimeMs: now - 30 * S,
        mediaSource: 'net-view',
      }),
      impressionB: rawEvent(appId(), 'impression', {
        advertisingId: 'aid-B',
        eventTimeMs: now - 20 * S,
        mediaSource: 'net-b-view',
      }),
      installA: rawEvent(appId(), 'install', { advertisingId: 'aid-A', eventTimeMs: now - 10 * S }),
      installB: rawEvent(appId(), 'install', { advertisingId: 'aid-B', eventTimeMs: now - 10 * S }),
      installD: rawEvent(appId(), 'install', { advertisingId: 'aid-D', eventTimeMs: now - 10 * S }),
      installNoId: rawEvent(appId(), 'install', { advertisingId: null, ip: '192.0.2.77', eventTimeMs: now - 10 * S }),
      eventA: rawEvent(appId(), 'in_app_event', { advertisingId: 'aid-A', eventTimeMs: now - 5 * S, receivedAtMs: now + 50 }),
      sessionB: rawEvent(appId(), 'session', { advertisingId: 'aid-B', eventTimeMs: now - 5 * S, receivedAtMs: now + 50 }),
      eventNoId: rawEvent(appId(), 'in_app_event', { advertisingId: null, eventTimeMs: now - 5 * S }),
      reinstallA: rawEvent(appId(), 'install', { advertisingId: 'aid-A', eventTimeMs: now - 2 * S, receivedAtMs: now + 100 }),
      // Probabilistic: a click without advertising id, on another partition than its install,
      // written to Kafka after the install: the watermark still waits for it.
      installC: rawEvent(appId(), 'install', { advertisingId: 'aid-C', ip, userAgent: agent, eventTimeMs: now - 10 * S }),
      clickC: rawEvent(appId(), 'click', {
        ip,
        userAgent: agent,
        eventTimeMs: now - 40 * S,
        receivedAtMs: now - 200,
        mediaSource: 'net-c',
      }),
    });
    const { clickC, installC, ...rest } = script;
    await produceRaw([...Object.values(rest), { event: installC, partition: 3 }, { event: clickC, partition: 9 }]);

    const ids = Object.values(script).map((event) => event.event_id);
    const read = await attributed.waitForIds(appId(), ids, 60_000);
    const summary = (name: string) => {
      const value = read.get(script[name].event_id)!.value;
      const attribution = value.attribution as Record<string, unknown>;
      return [attribution.media_source, attribution.match_type, attribution.touch_type, value.is_reinstall];
    };
    assert.deepEqual(
      Object.fromEntries(
        ['installA', 'installB', 'installC', 'installD', 'installNoId', 'reinstallA', 'eventA', 'sessionB', 'eventNoId'].map(
          (name) => [name, summary(name)],
        ),
      ),
      {
        installA: ['net-a', 'id_matching', 'click', false], // the click beats the later impression
        installB: ['net-b-view', 'id_matching', 'impression', false], // view-through by advertising id
        installC: ['net-c', 'probabilistic', 'click', false], // ip + user agent, across partitions
        installD: ['organic', 'organic', null, false],
        installNoId: ['organic', 'organic', null, false],
        reinstallA: ['net-a', 'id_matching', 'click', true], // inside 90 days of installA, same rules
        eventA: ['net-a', 'id_matching', 'click', undefined], // inherits installA
        sessionB: ['net-b-view', 'id_matching', 'impression', undefined],
        eventNoId: ['organic', 'organic', null, undefined],
      },
    );
    const installA = read.get(script.installA.event_id)!.value;
    assert.equal(attributionOf(read.get(script.eventA.event_id)!).install_time, installA.event_time);
    assert.equal(attributionOf(read.get(script.installA.event_id)!).touch_time, script.clickA.event_time);
    assert.equal(attributionOf(read.get(script.eventNoId.event_id)!).install_time, null);
    // Clicks and impressions go through unchanged, byte for byte, keyed as the raw topic.
    for (const name of ['clickA', 'impressionA', 'clickC']) {
      assert.equal(read.get(script[name].event_id)!.text, JSON.stringify(script[name]));
    }
    assert.equal(read.get(script.installA.event_id)!.key, `${appId()}:aid-A`);
    assert.equal(read.get(script.eventNoId.event_id)!.key, `${appId()}:${script.eventNoId.ip}`);
  });

  it('sends an unparseable message to the DLQ with its headers and goes on', async () => {
    const key = uniqueId('junk-key');
    await produce(TOPICS.raw, [{ key, value: '{"schema": "mmp.event/1", broken' }]);
    const follow = rawEvent(appId(), 'install', { advertisingId: 'aid-after-junk' });
    await produceRaw([follow]);
    const [dead] = await waitFor('the junk on the DLQ', () => dlq.withKey(key).length > 0 && dlq.withKey(key), 30_000);
    assert.equal(dead.text, '{"schema": "mmp.event/1", broken');
    assert.match(dead.headers.error, /malformed JSON/);
    assert.equal(dead.headers['source-topic'], TOPICS.raw);
    assert.ok(dead.headers['source-partition'] !== undefined && dead.headers['source-offset'] !== undefined);
    await attributed.waitForIds(appId(), [follow.event_id]);
  });

  it('counts a late click and lets it serve installs decided after it', async () => {
    const before = (await statsdValue('counters', 'mmp.attribution.attribution.late_events', { type: 'click' })) ?? 0;
    // Spooled through an outage: received a minute ago, reaching Kafka only now, long after the watermark.
    const late = rawEvent(appId(), 'click', {
      advertisingId: 'aid-late',
      eventTimeMs: Date.now() - 60 * S,
      receivedAtMs: Date.now() - 60 * S,
      mediaSource: 'net-late',
    });
    await produceRaw([late]);
    await attributed.waitForIds(appId(), [late.event_id]);
    await waitFor(
      'attribution.late_events{type:click} to count it',
      async () => ((await statsdValue('counters', 'mmp.attribution.attribution.late_events', { type: 'click' })) ?? 0) > before,
      15_000,
      200,
    );
    const install = rawEvent(appId(), 'install', { advertisingId: 'aid-late' });
    await produceRaw([install]);
    const read = await attributed.waitForIds(appId(), [install.event_id]);
    assert.equal(attributionOf(read.get(install.event_id)!).media_source, 'net-late');
  });

  it('replays the range with the same decisions, the same bytes, and no second install', async () => {
    const ids = Object.values(script).map((event) => event.event_id);
    assert.ok(ids.length > 0, 'the scripted test ran first');
    const firstRun = await attributed.waitForIds(appId(), ids);
    const countBefore = attributed.ofApp(appId()).length;
    await service!.stop();
    service = undefined;
    await positionGroup(group, TOPICS.raw, startedAt);
    service = await startAttribution(group, keyPrefix);
    await waitFor(
      'every scripted event attributed a second time',
      () => {
        const seen = new Map<string, number>();
        for (const record of attributed.ofApp(appId()))
          seen.set(record.value.event_id as string, (seen.get(record.value.event_id as string) ?? 0) + 1);
        return ids.every((id) => (seen.get(id) ?? 0) >= 2);
      },
      90_000,
      200,
    );
    assert.ok(attributed.ofApp(appId()).length > countBefore);
    for (const id of ids) {
      const copies = attributed.ofApp(appId()).filter((record) => record.value.event_id === id);
      for (const copy of copies) assert.deepEqual(copy.value, firstRun.get(id)!.value, `replayed ${id} differs`);
    }
    // The first install stayed the first: installA is still the counted one, reinstallA still a reinstall.
    const installs = attributed.ofApp(appId()).filter((record) => record.value.event_id === script.installA.event_id);
    assert.ok(installs.every((record) => record.value.is_reinstall === false));
  });
});
