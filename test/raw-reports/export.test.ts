import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deleteApp, putApp, waitFor, type TestApp } from '../support/infra';
import {
  attributed,
  exportRaw,
  jsonLines,
  lakeLines,
  moveGroupTo,
  newLakeEnv,
  parseCsv,
  produceAttributed,
  startRawReports,
  waitConsumed,
  type LakeEnv,
  type RunningRawReports,
  type TestEvent,
} from './raw-reports-harness';

const COLUMNS = {
  installs:
    'event_id,install_time,attributed_touch_type,attributed_touch_time,match_type,media_source,campaign,adset,ad,site_id,advertising_id,platform,app_version,ip,is_reinstall',
  'in-app-events':
    'event_id,event_time,event_name,revenue,currency,install_time,media_source,campaign,adset,ad,site_id,match_type,advertising_id,platform,app_version',
  clicks: 'event_id,click_time,media_source,campaign,adset,ad,site_id,click_id,advertising_id,ip,user_agent',
  impressions: 'event_id,impression_time,media_source,campaign,adset,ad,site_id,click_id,advertising_id,ip,user_agent',
};

// Days inside the default 90-day retention, whatever day the test runs.
const dayBefore = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
const DAY1 = dayBefore(3);
const DAY2 = dayBefore(2);
const HARD_UA = 'Mozilla/5.0 (X11; "Quoted"), with comma\nand a newline';

describe('raw-reports export (contracts §6) over real Kafka', () => {
  let env: LakeEnv;
  let service: RunningRawReports;
  let app: TestApp;
  let other: TestApp;
  const events: TestEvent[] = [];

  before(async () => {
    app = await putApp();
    other = await putApp();
    env = await newLakeEnv();
    service = await startRawReports({ ...env });
    const id = app.record.app_id;
    events.push(
      attributed(id, 'install', `${DAY1}T23:59:59.999Z`, { is_reinstall: true }),
      attributed(id, 'install', `${DAY2}T00:00:00.000Z`, {
        device: { platform: 'ios', advertising_id: null },
        app_version: null,
      }),
      attributed(id, 'install', `${DAY1}T08:00:00.000Z`),
      attributed(id, 'in_app_event', `${DAY1}T23:59:59.999Z`, { revenue: 0.1, currency: 'USD' }),
      attributed(id, 'in_app_event', `${DAY2}T00:00:00.000Z`, { revenue: null, currency: null, event_name: 'level, "up"' }),
      attributed(id, 'click', `${DAY1}T12:00:00.000Z`, { user_agent: HARD_UA }),
      attributed(id, 'click', `${DAY1}T11:00:00.000Z`, { user_agent: null, ip: null }),
      attributed(id, 'impression', `${DAY2}T00:00:00.000Z`, { user_agent: HARD_UA }),
      attributed(id, 'impression', `${DAY1}T23:59:59.999Z`),
      attributed(id, 'session', `${DAY1}T10:00:00.000Z`),
      attributed(other.record.app_id, 'click', `${DAY1}T10:00:00.000Z`),
    );
    await produceAttributed(events);
    await waitConsumed(env.RAW_REPORTS_GROUP);
    await waitFor('the apps in the registry', () => service.context.apps.get(other.record.app_id) !== undefined, 10_000);
  });

  after(async () => {
    await service?.stop();
    await deleteApp(app.record.app_id);
    await deleteApp(other.record.app_id);
  });

  const csv = async (kind: keyof typeof COLUMNS, from: string, to = from) => {
    const answer = await exportRaw(service.url, app.record.app_id, kind, `from=${from}&to=${to}`, app.apiToken);
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.contentType, 'text/csv; charset=utf-8');
    const records = parseCsv(answer.text);
    assert.equal(records[0].join(','), COLUMNS[kind]);
    return records.slice(1).map((record) => Object.fromEntries(COLUMNS[kind].split(',').map((name, at) => [name, record[at]])));
  };

  it('exports each kind with its exact columns, by its own UTC day, 23:59:59.999 and 00:00:00.000 on either side', async () => {
    const [late1, early2, morning1] = events;
    assert.deepEqual(
      (await csv('installs', DAY1)).map((row) => row.event_id),
      [morning1.event_id, late1.event_id],
    );
    assert.deepEqual(
      (await csv('installs', DAY2)).map((row) => row.event_id),
      [early2.event_id],
    );
    const installs = await csv('installs', DAY1, DAY2);
    assert.deepEqual(
      installs.map((row) => row.install_time),
      [`${DAY1}T08:00:00.000Z`, `${DAY1}T23:59:59.999Z`, `${DAY2}T00:00:00.000Z`],
    );
    assert.deepEqual(installs[1], {
      event_id: late1.event_id,
      install_time: `${DAY1}T23:59:59.999Z`,
      attributed_touch_type: 'click',
      attributed_touch_time: '2026-11-01T00:00:00.000Z',
      match_type: 'id_matching',
      media_source: 'net_a',
      campaign: 'summer',
      adset: '',
      ad: 'ad1',
      site_id: 'site9',
      advertising_id: (late1.device as { advertising_id: string }).advertising_id,
      platform: 'android',
      app_version: '3.1.0',
      ip: '198.51.100.4',
      is_reinstall: 'true',
    });
    assert.equal(installs[2].advertising_id, '');
    assert.equal(installs[2].app_version, '');
    assert.equal(installs[2].is_reinstall, 'false');

    const inApp = await csv('in-app-events', DAY1, DAY2);
    assert.deepEqual(
      inApp.map((row) => [row.event_time, row.revenue, row.currency, row.event_name]),
      [
        [`${DAY1}T23:59:59.999Z`, '0.1', 'USD', 'purchase'],
        [`${DAY2}T00:00:00.000Z`, '', '', 'level, "up"'],
      ],
    );
    assert.equal(inApp[0].install_time, `${DAY1}T23:59:59.999Z`);

    const clicks = await csv('clicks', DAY1);
    assert.deepEqual(
      clicks.map((row) => [row.click_time, row.user_agent, row.ip]),
      [
        [`${DAY1}T11:00:00.000Z`, '', ''],
        [`${DAY1}T12:00:00.000Z`, HARD_UA, '198.51.100.4'],
      ],
    );
    assert.equal(clicks[1].click_id, 'ck-1');
    assert.deepEqual((await csv('clicks', DAY2)).length, 0);

    const impressions = await csv('impressions', DAY1, DAY2);
    assert.deepEqual(
      impressions.map((row) => [row.impression_time, row.user_agent]),
      [
        [`${DAY1}T23:59:59.999Z`, 'Mozilla/5.0 (Linux; Android 14; Pixel 8)'],
        [`${DAY2}T00:00:00.000Z`, HARD_UA],
      ],
    );
  });

  it('escapes quotes, commas and newlines as RFC 4180 says, on the wire', async () => {
    const answer = await exportRaw(service.url, app.record.app_id, 'clicks', `from=${DAY1}&to=${DAY1}`, app.apiToken);
    assert.ok(answer.text.includes(`"Mozilla/5.0 (X11; ""Quoted""), with comma\nand a newline"\r\n`), answer.text);
    assert.ok(answer.text.startsWith(`${COLUMNS.clicks}\r\n`));
  });

  it('exports JSON lines with the same names, values typed, in time order', async () => {
    const answer = await exportRaw(
      service.url,
      app.record.app_id,
      'installs',
      `from=${DAY1}&to=${DAY2}&format=jsonl`,
      app.apiToken,
    );
    assert.equal(answer.status, 200);
    assert.equal(answer.contentType, 'application/x-ndjson; charset=utf-8');
    const rows = jsonLines(answer.text);
    assert.equal(rows.length, 3);
    for (const row of rows) assert.deepEqual(Object.keys(row).join(','), COLUMNS.installs);
    assert.equal(rows[1].is_reinstall, true);
    assert.equal(rows[2].advertising_id, null);
  });

  it('refuses a missing or wrong token, and one app’s token for another app, with JSON errors', async () => {
    const id = app.record.app_id;
    const range = `from=${DAY1}&to=${DAY1}`;
    for (const token of [undefined, 'nope', other.apiToken]) {
      const answer = await exportRaw(service.url, id, 'clicks', range, token);
      assert.equal(answer.status, 401);
      assert.equal(JSON.parse(answer.text).error, 'unauthorized');
    }
    const otherExport = await exportRaw(service.url, other.record.app_id, 'clicks', range, other.apiToken);
    assert.equal(parseCsv(otherExport.text).length, 2, 'the other app sees only its own click');
  });

  it('answers 400 for bad ranges and formats, 404 for unknown apps and reports', async () => {
    const id = app.record.app_id;
    const cases: [string, string, number, string][] = [
      ['clicks', 'from=2026-01-01&to=2026-04-04', 400, 'range_too_long'],
      ['clicks', 'from=2026-01-01', 400, 'invalid_range'],
      ['clicks', 'from=2026-02-30&to=2026-03-01', 400, 'invalid_range'],
      ['clicks', 'from=2026-03-02&to=2026-03-01', 400, 'invalid_range'],
      ['clicks', 'from=2026-03-01&to=2026-03-01&format=xml', 400, 'invalid_format'],
      ['sessions', 'from=2026-03-01&to=2026-03-01', 404, 'not_found'],
    ];
    for (const [kind, query, status, error] of cases) {
      const answer = await exportRaw(service.url, id, kind, query, app.apiToken);
      assert.equal(answer.status, status, `${kind}?${query}: ${answer.text}`);
      assert.equal(JSON.parse(answer.text).error, error);
    }
    const unknown = await exportRaw(service.url, 'com.nobody.here', 'clicks', 'from=2026-03-01&to=2026-03-01', app.apiToken);
    assert.equal(unknown.status, 404);
    const traversal = await fetch(`${service.url}/v1/apps/..%2F..%2Fetc/raw/clicks?from=2026-03-01&to=2026-03-01`, {
      headers: { authorization: `Bearer ${app.apiToken}` },
    });
    assert.equal(traversal.status, 404);
    assert.equal(((await traversal.json()) as { error: string }).error, 'unknown_app');
  });

  it('writes each event once across redelivery, a replay of the attributed topic and attribution writing the same event_ids again', async () => {
    const id = app.record.app_id;
    const before = await csv('installs', DAY1, DAY2);
    // Attribution replaying events.raw.v1 writes the same event_ids again, at new offsets.
    await produceAttributed(events);
    await waitConsumed(env.RAW_REPORTS_GROUP);
    // A replay of events.attributed.v1: the group moves back and reads everything again.
    await service.stop();
    await moveGroupTo(env.RAW_REPORTS_GROUP, Date.now() - 10 * 60_000);
    service = await startRawReports({ ...env });
    await waitConsumed(env.RAW_REPORTS_GROUP);
    assert.deepEqual(await csv('installs', DAY1, DAY2), before);
    for (const kind of ['in-app-events', 'clicks', 'impressions'] as const) {
      const rows = await csv(kind, DAY1, DAY2);
      assert.equal(new Set(rows.map((row) => row.event_id)).size, rows.length, kind);
      assert.equal(rows.length, 2, kind);
    }
    // Not only the export: the lake itself holds each row once.
    assert.equal(lakeLines(env.RAW_REPORTS_DIR, id, 'installs').length, 3);
    assert.equal(lakeLines(env.RAW_REPORTS_DIR, id, 'clicks').length, 2);
  });
});
