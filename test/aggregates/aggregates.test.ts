import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deleteApp, putApp, waitFor, type TestApp } from '../support/infra';
import { replayFrom } from '@mmp/common';
import { committedOffsets, produce, testClient } from '../support/kafka';
import type { ServiceProcess } from '../support/service-process';
import {
  aggregatesUnderTest,
  drainThroughMarkers,
  withoutMarkers,
  attributedEvent,
  dayAgo,
  getReport,
  recordOf,
  type AggregatesUnderTest,
} from './aggregates-harness';

const D1 = dayAgo(2);
const D2 = dayAgo(1);
const fbWinter = { media_source: 'fb', campaign: 'winter' };
const fbSummer = { media_source: 'fb', campaign: 'summer' };
const google = { media_source: 'g', campaign: null };
const tiktok = { media_source: 'tt', campaign: null };

/** The scripted events of §7's columns: every metric, a reinstall, sessions, two currencies, two days. */
function scriptedEvents(appId: string): Record<string, unknown>[] {
  const times = (n: number, make: () => Record<string, unknown>) => Array.from({ length: n }, make);
  return [
    ...times(2, () => attributedEvent(appId, 'impression', D1, { touch: fbWinter })),
    ...times(1, () => attributedEvent(appId, 'impression', D2, { touch: tiktok })),
    ...times(4, () => attributedEvent(appId, 'click', D1, { touch: fbWinter })),
    ...times(2, () => attributedEvent(appId, 'click', D2, { touch: fbSummer })),
    ...times(1, () => attributedEvent(appId, 'click', D1, { touch: google })),
    ...times(2, () => attributedEvent(appId, 'install', D1, { touch: fbWinter })),
    ...times(1, () => attributedEvent(appId, 'install', D1, { touch: fbWinter, reinstall: true })),
    ...times(3, () => attributedEvent(appId, 'install', D2)),
    ...times(1, () => attributedEvent(appId, 'install', D1, { touch: google })),
    ...times(3, () => attributedEvent(appId, 'in_app_event', D2, { touch: fbWinter, revenue: 0.1, currency: 'USD' })),
    ...times(1, () => attributedEvent(appId, 'in_app_event', D2, { touch: fbWinter, revenue: 2.5, currency: 'EUR' })),
    ...times(1, () => attributedEvent(appId, 'in_app_event', D2, { revenue: 0.1, currency: 'USD' })),
    ...times(1, () => attributedEvent(appId, 'in_app_event', D1)),
    ...times(2, () => attributedEvent(appId, 'session', D2, { touch: fbWinter })),
  ];
}

const row = (
  key: Record<string, string | null>,
  imp: number,
  clk: number,
  ins: number,
  iae: number,
  revenue: Record<string, number> = {},
) => ({
  ...key,
  impressions: imp,
  clicks: clk,
  installs: ins,
  conversion_rate: clk === 0 ? null : ins / clk,
  in_app_events: iae,
  revenue,
});

const BY_MEDIA_SOURCE = [
  row({ media_source: 'fb' }, 2, 6, 2, 4, { EUR: 2.5, USD: 0.3 }),
  row({ media_source: 'g' }, 0, 1, 1, 0),
  row({ media_source: 'organic' }, 0, 0, 3, 2, { USD: 0.1 }),
  row({ media_source: 'tt' }, 1, 0, 0, 0),
];

const BY_ALL = [
  row({ date: D1, media_source: 'fb', campaign: 'winter' }, 2, 4, 2, 0),
  row({ date: D1, media_source: 'g', campaign: null }, 0, 1, 1, 0),
  row({ date: D1, media_source: 'organic', campaign: null }, 0, 0, 0, 1),
  row({ date: D2, media_source: 'fb', campaign: 'summer' }, 0, 2, 0, 0),
  row({ date: D2, media_source: 'fb', campaign: 'winter' }, 0, 0, 0, 4, { EUR: 2.5, USD: 0.3 }),
  row({ date: D2, media_source: 'organic', campaign: null }, 0, 0, 3, 1, { USD: 0.1 }),
  row({ date: D2, media_source: 'tt', campaign: null }, 1, 0, 0, 0),
];

describe('aggregates over real Kafka and Redis', () => {
  let harness: AggregatesUnderTest;
  let service: ServiceProcess;
  let app: TestApp;
  let otherApp: TestApp;
  let produced: Record<string, unknown>[];
  const range = { from: D1, to: D2 };

  before(async () => {
    [app, otherApp] = await Promise.all([putApp(), putApp()]);
    harness = await aggregatesUnderTest();
    service = await harness.start();
    produced = scriptedEvents(app.record.app_id);
    await produce(harness.topic, [...produced, ...scriptedEvents(otherApp.record.app_id)].map(recordOf));
  });

  after(async () => {
    await service?.stop();
    await harness?.cleanUp();
    await Promise.all([app, otherApp].filter(Boolean).map((created) => deleteApp(created.record.app_id)));
  });

  const report = (query: Record<string, string>, token = app.apiToken) =>
    getReport(service, app.record.app_id, { ...range, ...query }, token);

  it('answers every column of §7 by media source (the default group_by)', async () => {
    const body = await waitFor('the scripted events counted', async () => {
      const answer = await report({});
      assert.equal(answer.status, 200, answer.text);
      const json = answer.json();
      return JSON.stringify(json.rows) === JSON.stringify(BY_MEDIA_SOURCE) ? json : undefined;
    });
    assert.deepEqual(body, { app_id: app.record.app_id, from: D1, to: D2, group_by: ['media_source'], rows: BY_MEDIA_SOURCE });
    assert.equal((await report({})).contentType, 'application/json; charset=utf-8');
  });

  it('groups by any subset of date, media source and campaign, rows sorted by the group_by fields', async () => {
    assert.deepEqual((await report({ group_by: 'date,media_source,campaign' })).json().rows, BY_ALL);
    assert.deepEqual((await report({ group_by: 'campaign' })).json().rows, [
      row({ campaign: null }, 1, 1, 4, 2, { USD: 0.1 }),
      row({ campaign: 'summer' }, 0, 2, 0, 0),
      row({ campaign: 'winter' }, 2, 4, 2, 4, { EUR: 2.5, USD: 0.3 }),
    ]);
    assert.deepEqual((await report({ group_by: 'date' })).json().rows, [
      row({ date: D1 }, 2, 5, 3, 1),
      row({ date: D2 }, 1, 2, 3, 5, { EUR: 2.5, USD: 0.4 }),
    ]);
    assert.deepEqual(
      (await report({ group_by: 'media_source,date' })).json().rows.map((r: any) => [r.media_source, r.date]),
      [
        ['fb', D1],
        ['fb', D2],
        ['g', D1],
        ['organic', D1],
        ['organic', D2],
        ['tt', D2],
      ],
    );
    const total = (await report({ group_by: '' })).json();
    assert.deepEqual(total.group_by, []);
    assert.deepEqual(total.rows, [row({}, 3, 7, 6, 6, { EUR: 2.5, USD: 0.4 })]);
    // Only the range's days count.
    assert.deepEqual((await report({ from: D2, to: D2, group_by: 'date' })).json().rows, [
      row({ date: D2 }, 1, 2, 3, 5, { EUR: 2.5, USD: 0.4 }),
    ]);
  });

  it('answers CSV', async () => {
    const answer = await report({ group_by: 'date,media_source,campaign', format: 'csv' });
    assert.equal(answer.status, 200);
    assert.equal(answer.contentType, 'text/csv; charset=utf-8');
    assert.equal(
      answer.text,
      [
        'date,media_source,campaign,impressions,clicks,installs,conversion_rate,in_app_events,revenue_EUR,revenue_USD',
        `${D1},fb,winter,2,4,2,0.5,0,,`,
        `${D1},g,,0,1,1,1,0,,`,
        `${D1},organic,,0,0,0,,1,,`,
        `${D2},fb,summer,0,2,0,0,0,,`,
        `${D2},fb,winter,0,0,0,,4,2.5,0.3`,
        `${D2},organic,,0,0,3,,1,,0.1`,
        `${D2},tt,,1,0,0,,0,,`,
        '',
      ].join('\r\n'),
    );
  });

  it('refuses another app token, a missing token and a wrong scheme with 401', async () => {
    for (const token of [otherApp.apiToken, undefined, '']) {
      const answer = await getReport(service, app.record.app_id, range, token);
      assert.equal(answer.status, 401, answer.text);
      assert.equal(answer.json().error, 'unauthorized');
    }
    const basic = await fetch(`${service.url}/v1/apps/${app.record.app_id}/aggregates?from=${D1}&to=${D2}`, {
      headers: { authorization: `Basic ${app.apiToken}` },
    });
    assert.equal(basic.status, 401);
    // The other app's own token reads the other app's counts.
    assert.deepEqual((await getReport(service, otherApp.record.app_id, range, otherApp.apiToken)).json().rows, BY_MEDIA_SOURCE);
  });

  it('answers bad ranges, group_by and format with clear 400s, and unknown apps with 404', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ from: '2026-01-01', to: '2026-04-04' }, 'invalid_range'],
      [{ from: D2, to: D1 }, 'invalid_range'],
      [{ from: '2026-02-30', to: '2026-03-01' }, 'invalid_range'],
      [{ from: 'yesterday' }, 'invalid_range'],
      [{ group_by: 'country' }, 'invalid_group_by'],
      [{ format: 'xml' }, 'invalid_format'],
    ];
    for (const [query, error] of cases) {
      const answer = await report(query);
      assert.equal(answer.status, 400, JSON.stringify(query));
      assert.equal(answer.json().error, error);
      assert.equal(typeof answer.json().message, 'string');
    }
    const unknown = await getReport(service, 'com.nobody.here', range, app.apiToken);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json().error, 'unknown_app');
  });

  it('shows an event within 5 s of its write to the stream', async () => {
    // The other app: the scripted set of this one stays as the replay test expects it.
    const fresh = attributedEvent(otherApp.record.app_id, 'click', D2, { touch: { media_source: 'fresh', campaign: null } });
    await produce(harness.topic, [recordOf(fresh)]);
    const written = Date.now();
    const visible = async () =>
      (await getReport(service, otherApp.record.app_id, range, otherApp.apiToken))
        .json()
        .rows.some((r: any) => r.media_source === 'fresh');
    await waitFor('the fresh click', visible, 5000, 20);
    assert.ok(Date.now() - written < 5000);
  });

  it('counts nothing twice when the same events come again: redelivered at new offsets, or the group replayed', async () => {
    const counter = { appId: app.record.app_id, token: app.apiToken };
    const consumedToTheEnd = () => drainThroughMarkers(() => service, harness.topic, counter, D2);
    const assertUnchanged = async () => {
      assert.deepEqual(withoutMarkers((await report({})).json().rows), BY_MEDIA_SOURCE);
      assert.deepEqual(withoutMarkers((await report({ group_by: 'date,media_source,campaign' })).json().rows), BY_ALL);
    };
    // The same event_ids at new offsets: what a replay of events.raw.v1 through attribution writes.
    await produce(harness.topic, produced.map(recordOf));
    await consumedToTheEnd();
    await assertUnchanged();

    // The group itself moved back to the beginning of the topic, as `fleet replay` does.
    const stopped = await service.stop();
    assert.equal(stopped.code, 0, service.output());
    const admin = testClient().admin();
    await admin.connect();
    try {
      await replayFrom(admin, harness.env.AGGREGATES_GROUP, harness.topic, 0);
    } finally {
      await admin.disconnect();
    }
    assert.ok(
      [...(await committedOffsets(harness.env.AGGREGATES_GROUP, harness.topic)).values()].every((offset) => offset === 0n),
    );
    service = await harness.start();
    await consumedToTheEnd();
    await assertUnchanged();
  });
});
