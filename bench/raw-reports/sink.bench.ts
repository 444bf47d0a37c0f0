/**
 * bench/raw-reports sink: the raw-reports consumer (decode, shape, index in Redis, write
 * segments with fsync) draining a backlog of 200,000 attributed events over 12 partitions,
 * against the same StreamConsumer with a no-op handler, in the same run, each round in a
 * fresh process with a fresh group. Goal: sink / noop >= 0.5 (median of 3 rounds).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createLogger, eventKey, KafkajsStreamClient } from '@mmp/common';

const TOTAL = Number(process.env.BENCH_RAW_SINK_EVENTS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_RAW_ROUNDS ?? 3);
const ROOT = resolve(__dirname, '..', '..', '..');
const TYPES = ['click', 'click', 'impression', 'install', 'in_app_event', 'in_app_event'] as const;

function sampleEvent(index: number): Record<string, unknown> {
  const type = TYPES[index % TYPES.length];
  const time = new Date(Date.UTC(2026, 10, 20) + (index % 3) * 86_400_000 + index * 17).toISOString();
  const touch = type === 'click' || type === 'impression';
  return {
    schema: 'mmp.event/1',
    event_id: `evt_${index.toString(36).padStart(10, '0')}_bench`,
    app_id: `com.example.bench${index % 4}`,
    type,
    event_time: time,
    received_at: time,
    ip: `10.${index % 256}.${(index >> 8) % 256}.7`,
    user_agent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Mobile',
    device: { platform: 'android', advertising_id: `a1b2c3d4-0000-4000-8000-${index.toString(16).padStart(12, '0')}` },
    ...(touch
      ? { click: { media_source: 'network_a', campaign: 'c', adset: null, ad: null, site_id: null, click_id: null } }
      : {
          attribution: {
            media_source: 'network_a',
            campaign: 'c',
            adset: null,
            ad: null,
            site_id: null,
            match_type: 'id_matching',
            touch_type: 'click',
            touch_time: time,
            install_time: time,
          },
        }),
    ...(type === 'install' ? { is_reinstall: false } : {}),
    event_name: type === 'in_app_event' ? 'purchase' : null,
    revenue: type === 'in_app_event' ? 2.5 : null,
    currency: type === 'in_app_event' ? 'USD' : null,
    app_version: '4.2.0',
    customer_user_id: null,
  };
}

async function preload(topic: string): Promise<void> {
  const client = new KafkajsStreamClient({
    brokers: ['127.0.0.1:9092'],
    clientId: 'bench-raw-preload',
    logger: createLogger('bench', 'warn'),
  });
  const admin = client.admin();
  await admin.connect();
  await admin.ensureTopics([
    { topic, partitions: 12 },
    { topic: `${topic}.dlq`, partitions: 1 },
  ]);
  await admin.disconnect();
  const producer = client.producer();
  await producer.connect();
  for (let start = 0; start < TOTAL; start += 2000) {
    const records = [];
    for (let index = start; index < Math.min(TOTAL, start + 2000); index++) {
      const event = sampleEvent(index);
      records.push({ key: eventKey(event as never), value: JSON.stringify(event) });
    }
    await producer.send(topic, records);
  }
  await producer.disconnect();
}

interface Round {
  mode: string;
  count: number;
  ms: number;
  eventsPerSecond: number;
  peakRssBytes: number;
}

function round(mode: string, topic: string): Round {
  const root = mkdtempSync(join(tmpdir(), 'mmp-raw-sink-bench-'));
  try {
    const output = execFileSync(process.execPath, [resolve(__dirname, 'sink-round.js'), mode, topic, String(TOTAL), root], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    return JSON.parse(output.trim().split('\n').pop()!) as Round;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  const topic = `bench.raw-reports.${Date.now()}`;
  process.stderr.write(`[bench] preloading ${TOTAL} attributed events into ${topic}\n`);
  await preload(topic);
  const modes = ['sink', 'noop'];
  round('noop', topic); // untimed: the segments come from disk once
  const rounds: Round[] = [];
  for (let index = 0; index < ROUNDS; index++)
    for (const mode of index % 2 === 0 ? modes : [...modes].reverse()) {
      const result = round(mode, topic);
      process.stderr.write(
        `[bench] ${mode.padEnd(10)} ${result.eventsPerSecond} events/s, peak RSS ${Math.round(result.peakRssBytes / 2 ** 20)} MB\n`,
      );
      rounds.push(result);
    }
  const summary = Object.fromEntries(
    modes.map((mode) => {
      const own = rounds.filter((entry) => entry.mode === mode);
      return [
        mode,
        {
          medianEventsPerSecond: median(own.map((entry) => entry.eventsPerSecond)),
          peakRssMb: Math.round(Math.max(...own.map((entry) => entry.peakRssBytes)) / 2 ** 20),
        },
      ];
    }),
  );
  const ratio = summary.sink.medianEventsPerSecond / summary.noop.medianEventsPerSecond;
  const result = {
    date: new Date().toISOString(),
    events: TOTAL,
    rounds: ROUNDS,
    summary,
    ratio: Math.round(ratio * 1000) / 1000,
    goal: 'sink / noop >= 0.5',
    met: ratio >= 0.5,
    all: rounds,
  };
  const dir = resolve(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(resolve(dir, 'raw-reports-sink.json'), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify({ ...result, all: undefined }, null, 2)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
