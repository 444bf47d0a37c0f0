/**
 * One sink benchmark round in a fresh process. Arguments: <mode> <topic> <total> <lake root>;
 * mode is sink (the service's handler writing the lake, with the Redis index), noop (same
 * consumer and decoder, a handler that does nothing) or noop-bytes (no decoding either).
 * Prints one JSON line: {mode, count, ms, eventsPerSecond, peakRssBytes}.
 */
import {
  bytesDecoder,
  createLogger,
  createRedis,
  closeRedis,
  KafkajsStreamClient,
  ok,
  StreamConsumer,
  type Decoder,
  type StreamContext,
} from '@mmp/common';
import { rawReportsEventDecoder } from '@mmp/raw-reports/dist/consumer/attributed-event.decoder';
import { AttributedEventsHandler } from '@mmp/raw-reports/dist/consumer/attributed-events.handler';
import { EventIdIndex } from '@mmp/raw-reports/dist/store/event-id-index';
import { FsRawStore } from '@mmp/raw-reports/dist/store/fs-raw-store';
import { RawLake } from '@mmp/raw-reports/dist/store/raw-lake';

const [mode, topic, totalText, root] = process.argv.slice(2);
const total = Number(totalText);
const groupId = `bench-raw-${mode}-${process.pid}-${Date.now()}`;
const logger = createLogger('bench', 'warn');

let count = 0;
let firstAt = 0;
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);

async function main(): Promise<void> {
  const redis = createRedis('redis://127.0.0.1:6379', logger);
  await redis.connect();
  const lake = new RawLake(new FsRawStore(root), new EventIdIndex(redis, `bench:${groupId}`, 3600), {
    retentionDays: 3650,
    compactMinSegments: 16,
    logger,
  });
  const handler = new AttributedEventsHandler(lake);
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const consumer = new StreamConsumer<unknown>({
    client: new KafkajsStreamClient({ brokers: ['127.0.0.1:9092'], clientId: groupId, logger }),
    groupId,
    topic,
    decoder: (mode === 'noop-bytes' ? bytesDecoder : rawReportsEventDecoder) as Decoder<unknown>,
    logger,
    lagIntervalMs: 60_000,
    handler: async (messages, source) => {
      if (count === 0) firstAt = performance.now();
      const outcomes =
        mode === 'sink'
          ? await handler.handle(messages as never, { topic: source.topic, partition: source.partition } as StreamContext)
          : messages.map(() => ok);
      count += messages.length;
      if (count >= total) finish();
      return outcomes;
    },
  });
  await consumer.start();
  await done;
  const ms = performance.now() - firstAt;
  clearInterval(sampler);
  await consumer.stop();
  await closeRedis(redis);
  process.stdout.write(
    `${JSON.stringify({ mode, count, ms: Math.round(ms), eventsPerSecond: Math.round((count / ms) * 1000), peakRssBytes: peakRss })}\n`,
  );
  process.exit(0);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
