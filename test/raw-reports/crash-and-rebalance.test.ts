import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { deleteApp, putApp, waitFor, type TestApp } from '../support/infra';
import { startServiceProcess, type ServiceProcess } from '../support/service-process';
import {
  attributed,
  exportRaw,
  jsonLines,
  lakeLines,
  newLakeEnv,
  produceAttributed,
  waitConsumed,
  type LakeEnv,
  type TestEvent,
} from './raw-reports-harness';

const DAY = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
const DAY_START = Date.parse(`${DAY}T00:00:00.000Z`);

/** `count` clicks spread over one day, in random order. */
function clicks(appId: string, count: number): TestEvent[] {
  return Array.from({ length: count }, () =>
    attributed(appId, 'click', new Date(DAY_START + Math.floor(Math.random() * 86_400_000)).toISOString()),
  );
}

/** The JSON-lines export of the day, checked: in time order and each event once. */
async function exportedIds(url: string, app: TestApp): Promise<string[]> {
  const answer = await exportRaw(url, app.record.app_id, 'clicks', `from=${DAY}&to=${DAY}&format=jsonl`, app.apiToken);
  assert.equal(answer.status, 200, answer.text);
  const rows = jsonLines(answer.text);
  for (let at = 1; at < rows.length; at++) {
    const [previous, current] = [rows[at - 1], rows[at]];
    assert.ok(
      `${previous.click_time}${previous.event_id}` < `${current.click_time}${current.event_id}`,
      `row ${at} out of order or repeated: ${JSON.stringify(previous)} then ${JSON.stringify(current)}`,
    );
  }
  const ids = rows.map((row) => String(row.event_id));
  assert.equal(new Set(ids).size, ids.length, 'an event exported twice');
  return ids;
}

describe('raw-reports: kill -9 and rebalances over real Kafka', () => {
  const started: ServiceProcess[] = [];
  const apps: TestApp[] = [];
  const start = async (env: LakeEnv) => {
    const process = await startServiceProcess('raw-reports', { ...env, LOG_LEVEL: 'warn' });
    started.push(process);
    return process;
  };

  after(async () => {
    await Promise.all(started.map((process) => process.stop('SIGKILL')));
    await Promise.all(apps.map((app) => deleteApp(app.record.app_id)));
  });

  it('kill -9 in the middle of a backlog, then a restart: no row lost, none twice', async () => {
    const app = await putApp();
    apps.push(app);
    const env = await newLakeEnv();
    const events = clicks(app.record.app_id, 40_000);
    await produceAttributed(events);

    const first = await start(env);
    await waitFor(
      'the first segments in the lake',
      () => lakeLines(env.RAW_REPORTS_DIR, app.record.app_id, 'clicks').length > 0,
      60_000,
      20,
    );
    await first.stop('SIGKILL');
    const atKill = lakeLines(env.RAW_REPORTS_DIR, app.record.app_id, 'clicks').length;
    assert.ok(atKill < events.length, `killed after ${atKill} of ${events.length} rows: the kill must land mid-way`);

    const second = await start(env);
    await waitConsumed(env.RAW_REPORTS_GROUP, 120_000);
    await waitFor(
      'the registry to know the app',
      async () =>
        (await exportRaw(second.url, app.record.app_id, 'clicks', `from=${DAY}&to=${DAY}`, app.apiToken)).status === 200,
      10_000,
    );
    const ids = await exportedIds(second.url, app);
    assert.equal(ids.length, events.length);
    assert.deepEqual(new Set(ids), new Set(events.map((event) => event.event_id)));
    await second.stop();
  });

  it('two instances sharing one lake, with rebalances, and exports of the day while it is written', async () => {
    const app = await putApp();
    apps.push(app);
    const env = await newLakeEnv();
    const a = await start(env);
    const batch1 = clicks(app.record.app_id, 8000);
    await produceAttributed(batch1);
    const b = await start(env); // joins: a rebalance while A consumes
    const batch2 = clicks(app.record.app_id, 8000);
    await produceAttributed(batch2);
    await waitFor(
      'the registry to know the app',
      async () => (await exportRaw(b.url, app.record.app_id, 'clicks', `from=${DAY}&to=${DAY}`, app.apiToken)).status === 200,
      10_000,
    );

    // Export the day again and again while both instances write it: each export is whole, ordered and without repeats.
    let seen = 0;
    let exports = 0;
    const consumed = waitConsumed(env.RAW_REPORTS_GROUP, 120_000);
    let done = false;
    void consumed.finally(() => (done = true));
    while (!done) {
      const ids = await exportedIds(exports % 2 === 0 ? a.url : b.url, app);
      assert.ok(ids.length >= seen, `an export lost rows: ${ids.length} after ${seen}`);
      seen = ids.length;
      exports++;
    }
    await consumed;

    const stopped = await a.stop('SIGTERM'); // leaves: B takes every partition
    assert.equal(stopped.code, 0, a.output().slice(-2000));
    const batch3 = clicks(app.record.app_id, 4000);
    await produceAttributed(batch3);
    await waitConsumed(env.RAW_REPORTS_GROUP, 120_000);

    const all = [...batch1, ...batch2, ...batch3].map((event) => event.event_id);
    const ids = await exportedIds(b.url, app);
    assert.equal(ids.length, all.length);
    assert.deepEqual(new Set(ids), new Set(all));
    assert.ok(exports >= 1);
    await b.stop();
  });
});
