import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deleteApp, infra, putApp, uniqueId, waitFor, type TestApp } from '../support/infra';
import { startServiceProcess, type ServiceProcess } from '../support/service-process';
import { newSpoolRoot, RawTopicReader } from './ingest-harness';

/**
 * Issue 14's spool test: with Kafka stopped, single-event requests are accepted into the
 * spool; the process is killed with SIGKILL and started again on the same spool root;
 * Kafka returns; every event reaches events.raw.v1 exactly once, in acceptance order per key.
 * 20,000 requests in the normal run; MMP_SPOOL_VOLUME=200000 for the full one (see the README).
 */
const REQUESTS = Number(process.env.MMP_SPOOL_VOLUME ?? 20_000);
const DEVICES = 200;
const CONCURRENCY = 50;

describe(`ingest: ${REQUESTS} spooled single-event requests survive SIGKILL and a Kafka outage`, () => {
  let app: TestApp;
  const children: ServiceProcess[] = [];
  let reader: RawTopicReader | undefined;

  before(async () => {
    app = await putApp();
  });

  after(async () => {
    // Whatever happened, Kafka must be running for the next test file.
    await infra('start', 'kafka');
    for (const child of children) await child.stop('SIGKILL').catch(() => undefined);
    await reader?.stop();
    await deleteApp(app.record.app_id);
  });

  const start = async (root: string) => {
    const child = await startServiceProcess('ingest', { SPOOL_DIR: root, LOG_LEVEL: 'warn' });
    children.push(child);
    await waitFor('the child to know the app', async () => (await post(child.url, { events: [] })).status === 400, 15_000);
    return child;
  };

  const post = (url: string, body: unknown) =>
    fetch(`${url}/v1/apps/${app.record.app_id}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-sdk-key': app.record.sdk_key },
      body: JSON.stringify(body),
    });

  it('delivers every accepted event exactly once, in acceptance order per key', async () => {
    const from = Date.now() - 5000;
    const run = uniqueId('vol').replace(/[^A-Za-z0-9_-]/g, '_');
    const root = newSpoolRoot();
    const first = await start(root);
    const idOf = (device: number, seq: number) => `${run}_${device}_${seq}`;
    const started = Date.now();
    let second: ServiceProcess | undefined;
    const sequence = new Array<number>(DEVICES).fill(0);

    try {
      await infra('stop', 'kafka');
      // Each worker owns some devices and sends their events one after the other, so the
      // order of acceptance per key is the order of the sequence numbers.
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async (_, worker) => {
          for (;;) {
            const n = next++;
            if (n >= REQUESTS) return;
            const device = worker + CONCURRENCY * (n % (DEVICES / CONCURRENCY));
            const seq = sequence[device]++;
            const response = await post(first.url, {
              event_id: idOf(device, seq),
              type: 'session',
              event_time: new Date().toISOString(),
              device: { platform: 'android', advertising_id: `${run}-device-${device}` },
            });
            const body = await response.text();
            assert.equal(response.status, 202, body);
          }
        }),
      );
      const acceptedMs = Date.now() - started;
      console.log(`${REQUESTS} requests accepted into the spool in ${acceptedMs} ms`);

      await first.stop('SIGKILL');
      second = await start(root);
      // Accepting again at once proves the restart does not wait for Kafka.
      assert.equal((await post(second.url, { events: [] })).status, 400);
    } finally {
      await infra('start', 'kafka');
    }

    reader = await RawTopicReader.start(from);
    await waitFor(
      `${REQUESTS} events on the raw topic`,
      () => reader!.events(app.record.app_id).length >= REQUESTS,
      Math.max(180_000, REQUESTS * 3),
      1000,
    );
    // One more event per device, written after the replay: once each is read, everything
    // before it on its key's partition was read too, so the counts below are final.
    const sentinels: string[] = [];
    for (let device = 0; device < DEVICES; device++) {
      const id = idOf(device, sequence[device]++);
      sentinels.push(id);
      const response = await post(second!.url, {
        event_id: id,
        type: 'session',
        event_time: new Date().toISOString(),
        device: { platform: 'android', advertising_id: `${run}-device-${device}` },
      });
      assert.equal(response.status, 202);
    }
    const events = await reader.waitForIds(app.record.app_id, sentinels, 120_000);
    assert.equal(events.length, REQUESTS + DEVICES, `read ${events.length} events for ${REQUESTS + DEVICES} accepted ones`);
    const perKey = new Map<string, number[]>();
    for (const { key, event } of events) {
      const [, device, seq] = event.event_id.slice(run.length).split('_');
      assert.equal(key, `${app.record.app_id}:${run}-device-${device}`);
      const seen = perKey.get(key!) ?? [];
      seen.push(Number(seq));
      perKey.set(key!, seen);
    }
    for (const [key, seqs] of perKey)
      assert.deepEqual(
        seqs,
        seqs.map((_, i) => i),
        `${key}: each event once, in acceptance order`,
      );
    console.log(`all ${REQUESTS} events read exactly once after ${Date.now() - started} ms`);
  });
});
