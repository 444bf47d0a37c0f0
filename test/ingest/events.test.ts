import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { rawEventSchema, type RawEvent } from '@mmp/common';
import { deleteApp, putApp, waitFor, type TestApp } from '../support/infra';
import { statsdNames, statsdValue } from '../support/statsd';
import { countById, eventId, install, RawTopicReader, startIngest, type RunningIngest } from './ingest-harness';

const DAY = 24 * 3600_000;
const iso = (offsetMs: number): string => new Date(Date.now() + offsetMs).toISOString();

describe('ingest: POST /v1/apps/:appId/events', () => {
  let ingest: RunningIngest;
  let reader: RawTopicReader;
  let app: TestApp;
  const apps: string[] = [];

  /** A registered app the running ingest already knows (the registry follows Consul KV). */
  async function knownApp(overrides: Parameters<typeof putApp>[0] = {}): Promise<TestApp> {
    const created = await putApp(overrides);
    apps.push(created.record.app_id);
    await waitFor(
      `ingest to know ${created.record.app_id}`,
      () => ingest.context.apps.get(created.record.app_id)?.sdk_key === created.record.sdk_key,
    );
    return created;
  }

  const post = (target: TestApp, body: unknown) =>
    request(ingest.url)
      .post(`/v1/apps/${target.record.app_id}/events`)
      .set('X-Sdk-Key', target.record.sdk_key)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(body));

  before(async () => {
    const from = Date.now() - 5000;
    ingest = await startIngest();
    reader = await RawTopicReader.start(from);
    app = await knownApp();
  });

  after(async () => {
    await reader?.stop();
    await ingest?.stop();
    for (const appId of apps) await deleteApp(appId);
  });

  it('writes a full in-app event as the contract raw event, keyed by app and advertising id', async () => {
    const id = eventId();
    const eventTime = new Date(Math.floor((Date.now() - 3600_000) / 1000) * 1000);
    const body = {
      event_id: id,
      type: 'in_app_event',
      event_time: eventTime.toISOString().replace('.000Z', 'Z'),
      device: { platform: 'ios', advertising_id: 'IDFA-0001', os_version: '17.1', model: 'iPhone15,2' },
      ip: '203.0.113.9',
      user_agent: 'Game/1.2 CFNetwork',
      app_version: '1.2.3',
      event_name: 'purchase',
      revenue: 4.99,
      currency: 'EUR',
      customer_user_id: 'user-42',
    };
    const response = await post(app, body).set('User-Agent', 'ignored-because-given').expect(202);
    assert.deepEqual(response.body, { accepted: 1, duplicates: 0 });

    const read = await reader.waitForEvent(app.record.app_id, id);
    assert.equal(read.key, `${app.record.app_id}:IDFA-0001`);
    const event = rawEventSchema.parse(read.event);
    assert.equal(event.event_time, eventTime.toISOString());
    assert.match(event.received_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.ok(Math.abs(Date.parse(event.received_at) - Date.now()) < 60_000);
    const expected: RawEvent = {
      schema: 'mmp.event/1',
      event_id: id,
      app_id: app.record.app_id,
      type: 'in_app_event',
      event_time: event.event_time,
      received_at: event.received_at,
      ip: '203.0.113.9',
      user_agent: 'Game/1.2 CFNetwork',
      device: { platform: 'ios', advertising_id: 'IDFA-0001', os_version: '17.1', model: 'iPhone15,2' },
      event_name: 'purchase',
      revenue: 4.99,
      currency: 'EUR',
      app_version: '1.2.3',
      customer_user_id: 'user-42',
    };
    assert.deepEqual(event, expected);
  });

  it('takes ip and user_agent from the request when absent, and keys by ip without an advertising id', async () => {
    const id = eventId();
    const longAgent = `Mozilla/5.0 ${'x'.repeat(600)}`;
    await post(app, { event_id: id, type: 'session', event_time: iso(0), device: { platform: 'android' } })
      .set('User-Agent', longAgent)
      .set('X-Forwarded-For', '198.51.100.7') // TRUST_PROXY is off by default: not believed
      .expect(202);
    const read = await reader.waitForEvent(app.record.app_id, id);
    assert.equal(read.event.ip, '127.0.0.1');
    assert.equal(read.event.user_agent, longAgent.slice(0, 512));
    assert.equal(read.event.device.advertising_id, null);
    assert.equal(read.key, `${app.record.app_id}:127.0.0.1`);
    rawEventSchema.parse(read.event);
  });

  it('accepts every valid form of every field', async () => {
    const valid: Record<string, unknown>[] = [
      install('a1'),
      install('a2', { type: 'session' }),
      install('a3', { device: { platform: 'ios' } }),
      install('a4', { event_id: 'abcdefgh' }),
      install('a5', { event_id: `${'Z'.repeat(30)}_-${'9'.repeat(32)}` }),
      install('a6', { event_time: iso(9 * 60_000) }),
      install('a7', { event_time: iso(-30 * DAY + 10 * 60_000) }),
      install('a8', { event_time: new Date(Date.now() - 3600_000).toISOString().replace('Z', '+00:00') }),
      install('a9', { event_time: `${new Date(Date.now() - 2 * DAY).toISOString().slice(0, 13)}:00:00.123456789+05:30` }),
      install('a10', { event_time: new Date(Date.now() - DAY).toISOString().toLowerCase() }),
      install('a11', { ip: '2001:db8::1' }),
      install('a12', { ip: '::ffff:198.51.100.7' }),
      install('a13', {
        device: { platform: 'android', advertising_id: 'g'.repeat(64), os_version: 'v'.repeat(64), model: 'm'.repeat(64) },
      }),
      install('a14', { user_agent: 'u'.repeat(512), app_version: 'v'.repeat(32), customer_user_id: 'c'.repeat(128) }),
      install('a15', { type: 'in_app_event', event_name: 'e' }),
      install('a16', { type: 'in_app_event', event_name: 'e'.repeat(100), revenue: -1e9, currency: 'USD' }),
      install('a17', { type: 'in_app_event', event_name: 'level', revenue: 0, currency: 'JPY' }),
      install('a18', {
        ip: null,
        user_agent: null,
        app_version: null,
        customer_user_id: null,
        device: { platform: 'ios', advertising_id: null },
      }),
      install('a19', { type: 'in_app_event', event_name: 'x', revenue: 1e9, currency: 'USD' }),
    ];
    const response = await post(app, { events: valid }).expect(202);
    assert.deepEqual(response.body, { accepted: valid.length, duplicates: 0 });
    const read = await reader.waitForIds(
      app.record.app_id,
      valid.map((event) => event.event_id as string),
    );
    for (const { event } of read) rawEventSchema.parse(event);
    const mapped = read.find(({ event }) => event.device.advertising_id === 'a12');
    assert.equal(mapped?.event.ip, '198.51.100.7');
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    ['event_id missing', { event_id: undefined }, 'event_id'],
    ['event_id too short', { event_id: 'abcdefg' }, 'event_id'],
    ['event_id too long', { event_id: 'a'.repeat(65) }, 'event_id'],
    ['event_id with a bad character', { event_id: 'abcdefgh!' }, 'event_id'],
    ['event_id a number', { event_id: 12345678 }, 'event_id'],
    ['type missing', { type: undefined }, 'type'],
    ['type click (ingest makes clicks only from links)', { type: 'click' }, 'type'],
    ['type unknown', { type: 'purchase' }, 'type'],
    ['event_time missing', { event_time: undefined }, 'event_time'],
    ['event_time not RFC 3339', { event_time: '2026-11-22 10:00' }, 'event_time'],
    ['event_time without zone', { event_time: '2026-11-22T10:00:00' }, 'event_time'],
    ['event_time impossible date', { event_time: '2026-02-30T10:00:00Z' }, 'event_time'],
    ['event_time epoch number', { event_time: Date.now() }, 'event_time'],
    ['event_time 11 minutes ahead', { event_time: iso(11 * 60_000) }, 'event_time'],
    ['event_time 30 days and a minute ago', { event_time: iso(-30 * DAY - 60_000) }, 'event_time'],
    ['device missing', { device: undefined }, 'device'],
    ['device not an object', { device: 'android' }, 'device'],
    ['device.platform missing', { device: {} }, 'device.platform'],
    ['device.platform unknown', { device: { platform: 'windows' } }, 'device.platform'],
    ['device.advertising_id empty', { device: { platform: 'android', advertising_id: '' } }, 'device.advertising_id'],
    [
      'device.advertising_id too long',
      { device: { platform: 'android', advertising_id: 'a'.repeat(65) } },
      'device.advertising_id',
    ],
    ['device.os_version too long', { device: { platform: 'android', os_version: 'a'.repeat(65) } }, 'device.os_version'],
    ['device.model not a string', { device: { platform: 'android', model: 7 } }, 'device.model'],
    ['device with an unknown field', { device: { platform: 'android', imei: '1' } }, 'device.imei'],
    ['ip not an address', { ip: '999.1.1.1' }, 'ip'],
    ['ip a hostname', { ip: 'example.com' }, 'ip'],
    ['user_agent too long', { user_agent: 'u'.repeat(513) }, 'user_agent'],
    ['app_version too long', { app_version: 'v'.repeat(33) }, 'app_version'],
    ['customer_user_id too long', { customer_user_id: 'c'.repeat(129) }, 'customer_user_id'],
    ['event_name missing on in_app_event', { type: 'in_app_event' }, 'event_name'],
    ['event_name empty', { type: 'in_app_event', event_name: '' }, 'event_name'],
    ['event_name too long', { type: 'in_app_event', event_name: 'e'.repeat(101) }, 'event_name'],
    ['event_name on an install', { event_name: 'purchase' }, 'event_name'],
    ['revenue on a session', { type: 'session', revenue: 1, currency: 'USD' }, 'revenue'],
    ['currency on an install', { currency: 'USD' }, 'currency'],
    ['revenue without currency', { type: 'in_app_event', event_name: 'p', revenue: 1 }, 'currency'],
    ['revenue above 1e9', { type: 'in_app_event', event_name: 'p', revenue: 1e9 + 1, currency: 'USD' }, 'revenue'],
    ['revenue a string', { type: 'in_app_event', event_name: 'p', revenue: '1', currency: 'USD' }, 'revenue'],
    ['currency lower case', { type: 'in_app_event', event_name: 'p', revenue: 1, currency: 'usd' }, 'currency'],
    ['currency four letters', { type: 'in_app_event', event_name: 'p', revenue: 1, currency: 'USDT' }, 'currency'],
    ['an unknown field', { attribution: {} }, 'attribution'],
  ];

  it('rejects every field rule violation with the event index and field path', async () => {
    for (const [what, overrides, path] of invalid) {
      const event = install('bad', overrides);
      for (const key of Object.keys(overrides)) if (overrides[key] === undefined) delete event[key];
      const response = await post(app, { events: [install('fine'), event] });
      assert.equal(response.status, 400, `${what}: ${JSON.stringify(response.body)}`);
      assert.equal(response.body.error, 'invalid_events', what);
      assert.ok(
        response.body.details.some(
          (detail: { index: number; path: string; message: string }) =>
            detail.index === 1 && detail.path === path && detail.message.length > 0,
        ),
        `${what}: expected a detail for events[1].${path}, got ${JSON.stringify(response.body.details)}`,
      );
      assert.ok(
        !response.body.details.some((detail: { index: number }) => detail.index === 0),
        `${what}: the valid event was blamed`,
      );
    }
  });

  it('rejects a body that is not an event or a batch of 1 to 1000', async () => {
    for (const body of [[install('x')], 'text', 42, null, { events: [] }, { events: {} }, { events: [install('x')], extra: 1 }]) {
      const response = await post(app, body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.body.error, 'invalid_events');
    }
    const tooMany = Array.from({ length: 1001 }, () => ({
      event_id: 'abcdefgh',
      type: 'session',
      event_time: iso(0),
      device: { platform: 'ios' },
    }));
    const response = await post(app, { events: tooMany }).expect(400);
    assert.deepEqual(
      response.body.details.map((detail: { path: string }) => detail.path),
      ['events'],
    );
  });

  it('names at most 100 problems', async () => {
    const events = Array.from({ length: 150 }, () => ({
      event_id: 'short',
      type: 'session',
      event_time: iso(0),
      device: { platform: 'ios' },
    }));
    const response = await post(app, { events }).expect(400);
    assert.equal(response.body.details.length, 100);
  });

  it('writes nothing of a batch with one invalid event', async () => {
    const target = await knownApp();
    const good = install('same-device');
    const bad = install('same-device', { device: { platform: 'web' } });
    const response = await post(target, { events: [good, bad] }).expect(400);
    assert.deepEqual(response.body.details, [{ index: 1, path: 'device.platform', message: response.body.details[0].message }]);
    // Same key, same partition: had the batch been written, it would be read before the sentinel.
    const sentinel = install('same-device');
    await post(target, sentinel).expect(202);
    const read = await reader.waitForIds(target.record.app_id, [sentinel.event_id as string]);
    assert.deepEqual(
      read.map(({ event }) => event.event_id),
      [sentinel.event_id],
    );
    // Nothing was claimed either: the valid event is accepted as new afterwards.
    assert.deepEqual((await post(target, good).expect(202)).body, { accepted: 1, duplicates: 0 });
  });

  it('takes 1,000 events of one device whose records pass Kafka’s message limit together, and delivers every one', async () => {
    const device = `big-${eventId()}`.padEnd(50, 'd');
    const events = Array.from({ length: 1000 }, () => ({
      event_id: eventId('big'),
      type: 'install',
      event_time: new Date().toISOString(),
      device: { platform: 'android', advertising_id: device, os_version: 'o'.repeat(40), model: 'm'.repeat(64) },
      user_agent: 'U'.repeat(512),
      app_version: 'a'.repeat(32),
      customer_user_id: 'c'.repeat(100),
    }));
    const body = JSON.stringify({ events });
    assert.ok(body.length > 1_000_000 && body.length < 1024 * 1024, `body of ${body.length} bytes`);
    const response = await request(ingest.url)
      .post(`/v1/apps/${app.record.app_id}/events`)
      .set('X-Sdk-Key', app.record.sdk_key)
      .set('Content-Type', 'application/json')
      .send(body)
      .expect(202);
    assert.deepEqual(response.body, { accepted: 1000, duplicates: 0 });
    const ids = events.map((event) => event.event_id);
    const read = await reader.waitForIds(app.record.app_id, ids, 60_000);
    const mine = read.filter(({ event }) => event.device.advertising_id === device);
    const recordBytes = mine.reduce((sum, { event }) => sum + Buffer.byteLength(JSON.stringify(event)), 0);
    assert.ok(recordBytes > 1_048_588, `records of ${recordBytes} bytes: more than one broker message holds`);
    assert.deepEqual(
      mine.map(({ event }) => event.event_id),
      ids,
      'each once, in the order of the batch',
    );
    const health = await request(ingest.url).get('/health').expect(200);
    assert.equal(health.body.checks.spool.status, 'passing', 'written to Kafka, not to the spool');
  });

  it('counts repeated event_ids within and across requests as duplicates and writes each once', async () => {
    const target = await knownApp();
    const [a, b, c] = [install('dup-device'), install('dup-device'), install('dup-device')];
    assert.deepEqual((await post(target, { events: [a, b, a] }).expect(202)).body, { accepted: 2, duplicates: 1 });
    assert.deepEqual((await post(target, { events: [b, c] }).expect(202)).body, { accepted: 1, duplicates: 1 });
    assert.deepEqual((await post(target, a).expect(202)).body, { accepted: 0, duplicates: 1 });
    // The same event_id in another app is another event.
    const other = await knownApp();
    assert.deepEqual((await post(other, a).expect(202)).body, { accepted: 1, duplicates: 0 });

    const sentinel = install('dup-device');
    await post(target, sentinel).expect(202);
    const read = await reader.waitForIds(target.record.app_id, [sentinel.event_id as string]);
    assert.deepEqual(
      [...countById(read)].sort(),
      [
        [a.event_id, 1],
        [b.event_id, 1],
        [c.event_id, 1],
        [sentinel.event_id, 1],
      ].sort() as [string, number][],
    );
  });

  it('answers 401 for a missing or wrong key and 404 for an unknown app', async () => {
    const body = JSON.stringify(install('auth'));
    const path = `/v1/apps/${app.record.app_id}/events`;
    const missing = await request(ingest.url).post(path).set('Content-Type', 'application/json').send(body).expect(401);
    assert.equal(missing.body.error, 'unauthorized');
    const wrong = await request(ingest.url)
      .post(path)
      .set('Content-Type', 'application/json')
      .set('X-Sdk-Key', 'k_wrong')
      .send(body)
      .expect(401);
    assert.equal(wrong.body.error, 'unauthorized');
    const unknown = await request(ingest.url)
      .post('/v1/apps/com.test.nobody-here/events')
      .set('Content-Type', 'application/json')
      .set('X-Sdk-Key', app.record.sdk_key)
      .send(body)
      .expect(404);
    assert.equal(unknown.body.error, 'not_found');
  });

  it('follows a key change in Consul without a restart', async () => {
    const target = await knownApp();
    await putApp({ ...target.record, sdk_key: `${target.record.sdk_key}-rotated` });
    await waitFor('the rotated key to apply', async () => (await post(target, install('rotate'))).status === 401, 10_000);
    await post(
      { ...target, record: { ...target.record, sdk_key: `${target.record.sdk_key}-rotated` } },
      install('rotate'),
    ).expect(202);
  });

  it('answers 413, 415 and malformed_json with JSON bodies', async () => {
    const path = `/v1/apps/${app.record.app_id}/events`;
    const send = (contentType: string | undefined, body: string) => {
      const pending = request(ingest.url).post(path).set('X-Sdk-Key', app.record.sdk_key);
      if (contentType) pending.set('Content-Type', contentType);
      return pending.send(body);
    };
    const big = JSON.stringify({ events: [install('big', { customer_user_id: 'x'.repeat(100) })], pad: 'p'.repeat(1024 * 1024) });
    const cases: [string | undefined, string, number, string][] = [
      ['application/json', big, 413, 'payload_too_large'],
      ['text/plain', JSON.stringify(install('t')), 415, 'unsupported_media_type'],
      ['application/x-www-form-urlencoded', 'a=1', 415, 'unsupported_media_type'],
      ['application/json', '{"event_id": ', 400, 'malformed_json'],
      ['application/json', '', 400, 'malformed_json'],
      ['application/json', '{"__proto__": {"x": 1}}', 400, 'malformed_json'],
    ];
    for (const [contentType, body, status, error] of cases) {
      const response = await send(contentType, body);
      assert.equal(response.status, status, `${contentType} ${body.slice(0, 30)}: ${response.text.slice(0, 200)}`);
      assert.match(String(response.headers['content-type']), /^application\/json/);
      assert.equal(response.body.error, error);
      assert.ok(!/at .*\.js:\d+/.test(response.text), 'no stack trace');
    }
    const json = await send('application/json; charset=utf-8', JSON.stringify(install('charset'))).expect(202);
    assert.equal(json.body.accepted, 1);
  });

  it('reports accepted, duplicates and rejected events and produce times to StatsD', async () => {
    const target = await knownApp();
    const tags = { app: target.record.app_id };
    const first = install('metrics');
    await post(target, { events: [first, install('metrics'), install('metrics')] }).expect(202);
    await post(target, { events: [first, install('metrics')] }).expect(202);
    await post(target, { events: [install('metrics'), install('metrics', { type: 'bogus' })] }).expect(400);
    await waitFor(
      'ingest counters in StatsD',
      async () =>
        (await statsdValue('counters', 'mmp.ingest.events.accepted', tags)) === 4 &&
        (await statsdValue('counters', 'mmp.ingest.events.duplicates', tags)) === 1 &&
        (await statsdValue('counters', 'mmp.ingest.events.rejected', tags)) === 2,
      20_000,
    );
    await waitFor('kafka.produce_ms and http metrics', async () => {
      const timers = await statsdNames('timers');
      const counters = await statsdNames('counters');
      return (
        timers.some((name) => name.startsWith('mmp.ingest.kafka.produce_ms')) &&
        timers.some((name) => name.startsWith('mmp.ingest.http.latency_ms')) &&
        counters.some((name) => name.startsWith('mmp.ingest.http.requests') && name.includes('status=202'))
      );
    });
  });

  it('is critical while the apps registry has never loaded (booted with Consul unreachable)', async () => {
    const blind = await startIngest({ CONSUL_HTTP_ADDR: '127.0.0.1:1' });
    try {
      const health = await request(blind.url).get('/health');
      assert.equal(health.status, 503, JSON.stringify(health.body));
      assert.equal(health.body.checks.apps.status, 'critical');
    } finally {
      await blind.stop();
    }
  });

  it('reports passing health with apps, redis, kafka and spool checks', async () => {
    const response = await request(ingest.url).get('/health').expect(200);
    assert.equal(response.body.status, 'passing');
    assert.deepEqual(Object.keys(response.body.checks).sort(), ['apps', 'kafka', 'redis', 'spool']);
  });
});
