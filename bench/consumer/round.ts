/**
 * One benchmark round in a fresh process, so its memory is its own.
 * Arguments: <mode> <topic> <total>; mode is ours | baseline | ours-decode | baseline-decode.
 * Prints one JSON line: {mode, count, ms, eventsPerSecond, peakRssBytes, rssAtQuarters}.
 */
import { Kafka, logLevel } from 'kafkajs';
import {
  bytesDecoder,
  createLogger,
  jsonDecoder,
  KafkajsStreamClient,
  ok,
  rawEventSchema,
  StreamConsumer,
  type Decoder,
} from '@mmp/common';

const [mode, topic, totalText] = process.argv.slice(2);
const total = Number(totalText);
const groupId = `bench-${mode}-${process.pid}-${Date.now()}`;
const decode = mode.endsWith('-decode');
const brokers = ['127.0.0.1:9092'];

let count = 0;
let firstAt = 0;
let peakRss = 0;
const rssAtQuarters: number[] = [];
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);

function counted(n: number, finish: () => void): void {
  if (count === 0) firstAt = performance.now();
  const before = count;
  count += n;
  for (let quarter = 1; quarter <= 4; quarter++) {
    if (before < (total * quarter) / 4 && count >= (total * quarter) / 4) rssAtQuarters.push(process.memoryUsage().rss);
  }
  if (count >= total) finish();
}

async function ours(finish: () => void): Promise<() => Promise<void>> {
  const logger = createLogger('bench', 'warn');
  const consumer = new StreamConsumer({
    client: new KafkajsStreamClient({ brokers, clientId: groupId, logger }),
    groupId,
    topic,
    decoder: (decode ? jsonDecoder(rawEventSchema) : bytesDecoder) as Decoder<unknown>,
    logger,
    lagIntervalMs: 60_000,
    handler: async (messages) => {
      counted(messages.length, finish);
      return messages.map(() => ok);
    },
  });
  await consumer.start();
  return () => consumer.stop();
}

async function baseline(finish: () => void): Promise<() => Promise<void>> {
  const kafka = new Kafka({ clientId: groupId, brokers, logLevel: logLevel.WARN });
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250, maxBytesPerPartition: 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: 3,
    eachBatch: async ({ batch, resolveOffset }) => {
      if (decode) for (const message of batch.messages) rawEventSchema.parse(JSON.parse(message.value!.toString('utf8')));
      const last = batch.messages[batch.messages.length - 1].offset;
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
      resolveOffset(last);
      counted(batch.messages.length, finish);
    },
  });
  return () => consumer.disconnect();
}

async function main(): Promise<void> {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const stop = await (mode.startsWith('ours') ? ours(finish) : baseline(finish));
  await done;
  const ms = performance.now() - firstAt;
  clearInterval(sampler);
  await stop();
  process.stdout.write(
    `${JSON.stringify({ mode, count, ms: Math.round(ms), eventsPerSecond: Math.round((count / ms) * 1000), peakRssBytes: peakRss, rssAtQuarters })}\n`,
  );
  process.exit(0);
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
