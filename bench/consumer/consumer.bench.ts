/**
 * bench/consumer: our StreamConsumer against bare kafkajs eachBatch with manual commits,
 * in the same run over the same 200,000 preloaded messages (about 450 B, 12 partitions).
 * Each round runs in a fresh child process with a fresh group; rounds alternate so both
 * sides see the same broker state. Goal: ours / baseline >= 0.9.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createLogger, KafkajsStreamClient, rawEventSchema, type RawEvent } from '@mmp/common';

const TOTAL = Number(process.env.BENCH_CONSUMER_MESSAGES ?? 200_000);
const ROUNDS = Number(process.env.BENCH_CONSUMER_ROUNDS ?? 3);
const ROOT = resolve(__dirname, '..', '..', '..');

interface Round {
  mode: string;
  count: number;
  ms: number;
  eventsPerSecond: number;
  peakRssBytes: number;
  rssAtQuarters: number[];
}

function sampleEvent(index: number): RawEvent {
  return rawEventSchema.parse({
    schema: 'mmp.event/1',
    event_id: `evt_${index.toString(36).padStart(10, '0')}_bench`,
    app_id: 'com.example.bench',
    type: 'install',
    event_time: '2026-11-22T10:00:00.000Z',
    received_at: '2026-11-22T10:00:00.120Z',
    ip: `10.${index % 256}.${(index >> 8) % 256}.7`,
    user_agent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Mobile',
    device: { platform: 'android', advertising_id: `a1b2c3d4-0000-4000-8000-${index.toString(16).padStart(12, '0')}` },
    event_name: null,
    revenue: null,
    currency: null,
    app_version: '4.2.0',
    customer_user_id: `user-${index}`,
  });
}

async function preload(topic: string): Promise<number> {
  const client = new KafkajsStreamClient({
    brokers: ['127.0.0.1:9092'],
    clientId: 'bench-preload',
    logger: createLogger('bench', 'warn'),
  });
  const admin = client.admin();
  await admin.connect();
  await admin.ensureTopics([{ topic, partitions: 12 }]);
  await admin.disconnect();
  const producer = client.producer();
  await producer.connect();
  let bytes = 0;
  for (let start = 0; start < TOTAL; start += 2000) {
    const records = [];
    for (let index = start; index < Math.min(TOTAL, start + 2000); index++) {
      const value = JSON.stringify(sampleEvent(index));
      bytes += value.length;
      records.push({ key: `com.example.bench:${index}`, value });
    }
    await producer.send(topic, records);
  }
  await producer.disconnect();
  return Math.round(bytes / TOTAL);
}

function round(mode: string, topic: string): Round {
  const output = execFileSync(process.execPath, [resolve(__dirname, 'round.js'), mode, topic, String(TOTAL)], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return JSON.parse(output.trim().split('\n').pop()!) as Round;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  const topic = `bench.consumer.${Date.now()}`;
  console.error(`[bench] preloading ${TOTAL} messages into ${topic}`);
  const averageBytes = await preload(topic);
  const modes = ['ours', 'baseline', 'ours-decode', 'baseline-decode'];
  // One untimed drain first, so no side pays for reading the segments from disk.
  round('baseline', topic);
  const rounds: Round[] = [];
  for (let index = 0; index < ROUNDS; index++) {
    for (const mode of index % 2 === 0 ? modes : [...modes].reverse()) {
      const result = round(mode, topic);
      console.error(
        `[bench] ${mode.padEnd(16)} ${result.eventsPerSecond} events/s, peak RSS ${(result.peakRssBytes / 2 ** 20).toFixed(0)} MB`,
      );
      rounds.push(result);
    }
  }
  const summary = Object.fromEntries(
    modes.map((mode) => {
      const own = rounds.filter((entry) => entry.mode === mode);
      return [
        mode,
        {
          medianEventsPerSecond: median(own.map((entry) => entry.eventsPerSecond)),
          peakRssMb: Math.round(Math.max(...own.map((entry) => entry.peakRssBytes)) / 2 ** 20),
          rssAtQuartersMb: own[0].rssAtQuarters.map((bytes) => Math.round(bytes / 2 ** 20)),
        },
      ];
    }),
  );
  const ratio = summary.ours.medianEventsPerSecond / summary.baseline.medianEventsPerSecond;
  const decodeRatio = summary['ours-decode'].medianEventsPerSecond / summary['baseline-decode'].medianEventsPerSecond;
  const result = {
    date: new Date().toISOString(),
    messages: TOTAL,
    averageMessageBytes: averageBytes,
    partitions: 12,
    rounds: ROUNDS,
    summary,
    ratio: Math.round(ratio * 1000) / 1000,
    decodeRatio: Math.round(decodeRatio * 1000) / 1000,
    goal: 'ours / baseline >= 0.9',
    met: ratio >= 0.9,
    all: rounds,
  };
  const dir = resolve(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(resolve(dir, 'consumer.json'), `${JSON.stringify(result, null, 2)}\n`);
  const table = [
    `# bench/consumer (${result.date})`,
    '',
    `${TOTAL} messages of about ${averageBytes} B over 12 partitions; median of ${ROUNDS} rounds, each in a fresh process.`,
    '',
    '| consumer | events/s | peak RSS (MB) | RSS at 1/4, 2/4, 3/4, 4/4 (MB) |',
    '|---|---|---|---|',
    ...modes.map(
      (mode) =>
        `| ${mode} | ${summary[mode].medianEventsPerSecond} | ${summary[mode].peakRssMb} | ${summary[mode].rssAtQuartersMb.join(', ')} |`,
    ),
    '',
    `ours / baseline: **${result.ratio}** (goal 0.9, ${result.met ? 'met' : 'NOT met'}); with decoding on both sides: ${result.decodeRatio}.`,
    '',
  ].join('\n');
  writeFileSync(resolve(dir, 'consumer.md'), table);
  console.log(table);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
