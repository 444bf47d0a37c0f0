import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { deleteApp, putApp, waitFor, type TestApp } from '../support/infra';
import { produce } from '../support/kafka';
import type { ServiceProcess } from '../support/service-process';
import {
  aggregatesUnderTest,
  drainThroughMarkers,
  attributedEvent,
  dayAgo,
  getReport,
  recordOf,
  type AggregatesUnderTest,
} from './aggregates-harness';

let harness: AggregatesUnderTest | undefined;
let app: TestApp | undefined;
const services: ServiceProcess[] = [];

after(async () => {
  for (const service of services) await service.stop('SIGKILL');
  await harness?.cleanUp();
  if (app) await deleteApp(app.record.app_id);
});

it('kill -9 of one of two instances mid-stream: after the rebalance every event counts exactly once', async () => {
  app = await putApp();
  harness = await aggregatesUnderTest();
  const [first, second] = await Promise.all([harness.start(), harness.start()]);
  services.push(first, second);
  const day = dayAgo(1);
  const total = 30_000;
  const touch = { media_source: 'fb', campaign: 'crash' };
  const events = Array.from({ length: total }, (_, index) =>
    index % 3 === 0
      ? attributedEvent(app!.record.app_id, 'click', day, { touch })
      : attributedEvent(app!.record.app_id, 'in_app_event', day, { touch, revenue: 0.01, currency: 'USD' }),
  );
  const clicks = events.filter((event) => event.type === 'click').length;
  const inAppEvents = total - clicks;
  const counted = async (service: ServiceProcess) => {
    const rows = (await getReport(service, app!.record.app_id, { from: day, to: day }, app!.apiToken)).json().rows;
    return rows.length === 0 ? 0 : rows[0].clicks + rows[0].in_app_events;
  };

  const producing = produce(harness.topic, events.map(recordOf));
  await waitFor('the first counts', async () => (await counted(second)) > 0, 30_000, 20);
  await first.stop('SIGKILL');
  const atKill = await counted(second);
  await producing;
  assert.ok(atKill < total, `the kill landed before the end (${atKill} of ${total} counted)`);

  // The survivor takes the dead member's partitions once its session times out, and gets their uncommitted events again.
  // Markers on another day, so that the day under test holds only the counted events.
  await drainThroughMarkers(() => second, harness.topic, { appId: app.record.app_id, token: app.apiToken }, dayAgo(0), 90_000);
  const body = (
    await getReport(second, app.record.app_id, { from: day, to: day, group_by: 'date,media_source,campaign' }, app.apiToken)
  ).json();
  assert.deepEqual(body.rows, [
    {
      date: day,
      media_source: 'fb',
      campaign: 'crash',
      impressions: 0,
      clicks,
      installs: 0,
      conversion_rate: 0,
      in_app_events: inAppEvents,
      revenue: { USD: inAppEvents / 100 },
    },
  ]);
  const stopped = await second.stop();
  assert.equal(stopped.code, 0, second.output());
});
