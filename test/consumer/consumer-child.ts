/**
 * A consumer process for the crash test: records every processed message in Redis
 * (a set of "partition:offset") before its handler returns, and logs each commit.
 * Arguments: <topic> <groupId> <processedKey>.
 */
import {
  closeRedis,
  connectRedis,
  createRedis,
  createLogger,
  KafkajsStreamClient,
  ok,
  bytesDecoder,
  StreamConsumer,
} from '@mmp/common';

const [topic, groupId, processedKey] = process.argv.slice(2);
const logger = createLogger('consumer-child', 'warn');
const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', logger);
connectRedis(redis);

const consumer = new StreamConsumer({
  client: new KafkajsStreamClient({ brokers: ['127.0.0.1:9092'], clientId: `child-${process.pid}`, logger }),
  groupId,
  topic,
  decoder: bytesDecoder,
  logger,
  maxHandlerBatch: 50,
  handler: async (messages) => {
    // Slow enough that a kill lands mid-batch.
    await new Promise((resolve) => setTimeout(resolve, 30));
    await redis.sAdd(
      processedKey,
      messages.map((message) => `${message.record.partition}:${message.record.offset}`),
    );
    return messages.map(() => ok);
  },
  observer: { committed: (partition, offset) => process.stdout.write(`committed ${partition} ${offset}\n`) },
});

consumer.start().then(
  () => process.stdout.write('consuming\n'),
  (error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  },
);
process.once('SIGTERM', () => {
  void consumer
    .stop()
    .then(() => closeRedis(redis))
    .then(() => process.exit(0));
});
