import {
  Kafka,
  logLevel as KafkaLogLevel,
  Partitioners,
  type Consumer,
  type KafkaMessage,
  type LogEntry,
  type Producer,
} from 'kafkajs';
import type { Logger } from '../logging/logger';
import type {
  IncomingRecord,
  BatchContext,
  CommitOffset,
  GroupConsumer,
  GroupConsumerOptions,
  IncomingBatch,
  PartitionOffset,
  ProducerOptions,
  StreamAdmin,
  StreamClient,
  StreamProducer,
  TopicPartitions,
} from './stream-client';

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

const levelNames: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
};

/** kafkajs behind our StreamClient: the one file to replace when swapping clients. */
export class KafkajsStreamClient implements StreamClient {
  private readonly kafka: Kafka;

  constructor(private readonly options: KafkaClientOptions) {
    const logger = options.logger.child({ component: 'kafkajs' });
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      connectionTimeout: options.connectionTimeoutMs ?? 3000,
      requestTimeout: options.requestTimeoutMs ?? 30000,
      logLevel: KafkaLogLevel.WARN,
      logCreator:
        () =>
        ({ level, log }: LogEntry) => {
          const { message, ...rest } = log;
          logger[levelNames[level] ?? 'info']({ kafka: rest }, message);
        },
      retry: { initialRetryTime: 200, maxRetryTime: 5000, retries: 8 },
    });
  }

  producer(options: ProducerOptions = {}): StreamProducer {
    const idempotent = options.idempotent ?? true;
    const producer = this.kafka.producer({
      idempotent,
      allowAutoTopicCreation: false,
      // murmur2 of the key, as the Java client does (kafkajs' v2 default, named to silence its warning).
      createPartitioner: Partitioners.DefaultPartitioner,
      ...(idempotent ? { maxInFlightRequests: 5 } : {}),
      ...(options.retries !== undefined
        ? { retry: { retries: options.retries, initialRetryTime: 200, maxRetryTime: 2000 } }
        : {}),
    });
    return new KafkajsProducer(producer, options.requestTimeoutMs ?? 30000);
  }

  consumer(options: GroupConsumerOptions): GroupConsumer {
    const consumer = this.kafka.consumer({
      groupId: options.groupId,
      maxWaitTimeInMs: options.maxWaitMs ?? 250,
      maxBytesPerPartition: options.maxBytesPerPartition ?? 1024 * 1024,
      sessionTimeout: options.sessionTimeoutMs ?? 30000,
      heartbeatInterval: options.heartbeatIntervalMs ?? 3000,
      rebalanceTimeout: 20000,
      allowAutoTopicCreation: false,
    });
    return new KafkajsGroupConsumer(consumer, options.fromBeginning ?? true);
  }

  admin(): StreamAdmin {
    return new KafkajsAdmin(this.kafka);
  }
}

class KafkajsProducer implements StreamProducer {
  constructor(
    private readonly producer: Producer,
    private readonly timeoutMs: number,
  ) {}

  connect(): Promise<void> {
    return this.producer.connect();
  }

  async send(topic: string, records: import('./stream-client').OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.producer.send({
      topic,
      acks: -1,
      timeout: this.timeoutMs,
      messages: records.map((record) => ({
        key: record.key,
        value: record.value,
        headers: record.headers,
        partition: record.partition,
        timestamp: record.timestamp === undefined ? undefined : String(record.timestamp),
      })),
    });
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}

class KafkajsGroupConsumer implements GroupConsumer {
  constructor(
    private readonly consumer: Consumer,
    private readonly fromBeginning: boolean,
  ) {}

  connect(): Promise<void> {
    return this.consumer.connect();
  }

  async subscribe(topics: string[]): Promise<void> {
    await this.consumer.subscribe({ topics, fromBeginning: this.fromBeginning });
  }

  run(options: { concurrency: number; eachBatch(batch: IncomingBatch, context: BatchContext): Promise<void> }): Promise<void> {
    return this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.concurrency,
      eachBatch: async ({ batch, isRunning, isStale, heartbeat, resolveOffset }) => {
        await options.eachBatch(
          {
            topic: batch.topic,
            partition: batch.partition,
            highWatermark: batch.highWatermark,
            records: batch.messages.map((message) => new KafkajsRecord(batch.topic, batch.partition, message)),
          },
          { isRunning, isStale, heartbeat, resolveOffset },
        );
      },
    });
  }

  async commit(offsets: CommitOffset[]): Promise<void> {
    if (offsets.length > 0) await this.consumer.commitOffsets(offsets);
  }

  pause(target: TopicPartitions[]): void {
    this.consumer.pause(target);
  }

  resume(target: TopicPartitions[]): void {
    this.consumer.resume(target);
  }

  onAssignment(listener: (assigned: TopicPartitions[]) => void): void {
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
      const assignment = event.payload.memberAssignment as Record<string, number[]>;
      listener(Object.entries(assignment).map(([topic, partitions]) => ({ topic, partitions })));
    });
  }

  onCrash(listener: (error: Error) => void): void {
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      if (!event.payload.restart) listener(event.payload.error);
    });
  }

  disconnect(): Promise<void> {
    return this.consumer.disconnect();
  }
}

/** Headers and timestamp are converted only when read: most handlers never look at them. */
class KafkajsRecord implements IncomingRecord {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;

  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly message: KafkaMessage,
  ) {
    this.offset = message.offset;
    this.key = message.key ?? null;
    this.value = message.value ?? null;
  }

  get headers(): Record<string, string> {
    return stringHeaders(this.message.headers);
  }

  get timestamp(): number {
    return Number(this.message.timestamp);
  }
}

function stringHeaders(headers: Record<string, unknown> | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    result[name] = Array.isArray(value) ? String(value[0]) : String(value);
  }
  return result;
}

class KafkajsAdmin implements StreamAdmin {
  private readonly admin;

  constructor(kafka: Kafka) {
    this.admin = kafka.admin();
  }

  connect(): Promise<void> {
    return this.admin.connect();
  }

  async ensureTopics(specs: { topic: string; partitions: number }[]): Promise<void> {
    const existing = new Set(await this.admin.listTopics());
    const missing = specs.filter((spec) => !existing.has(spec.topic));
    if (missing.length === 0) return;
    await this.admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((spec) => ({ topic: spec.topic, numPartitions: spec.partitions, replicationFactor: 1 })),
    });
  }

  async partitionCount(topic: string): Promise<number> {
    const metadata = await this.admin.fetchTopicMetadata({ topics: [topic] });
    return metadata.topics[0].partitions.length;
  }

  async endOffsets(topic: string): Promise<PartitionOffset[]> {
    const offsets = await this.admin.fetchTopicOffsets(topic);
    return offsets.map(({ partition, high }) => ({ partition, offset: high })).sort((a, b) => a.partition - b.partition);
  }

  async committedOffsets(groupId: string, topic: string): Promise<PartitionOffset[]> {
    const [entry] = await this.admin.fetchOffsets({ groupId, topics: [topic] });
    return (entry?.partitions ?? [])
      .map(({ partition, offset }) => ({ partition, offset }))
      .sort((a, b) => a.partition - b.partition);
  }

  async resetOffsetsToTime(groupId: string, topic: string, timestampMs: number): Promise<PartitionOffset[]> {
    const [byTime, ends] = await Promise.all([
      this.admin.fetchTopicOffsetsByTimestamp(topic, timestampMs),
      this.endOffsets(topic),
    ]);
    const endOf = new Map(ends.map((end) => [end.partition, end.offset]));
    // -1: nothing at or after the time on that partition, so the group starts at its end.
    const partitions = byTime
      .map(({ partition, offset }) => ({ partition, offset: offset === '-1' ? (endOf.get(partition) ?? '0') : offset }))
      .sort((a, b) => a.partition - b.partition);
    await this.admin.setOffsets({ groupId, topic, partitions });
    return partitions;
  }

  disconnect(): Promise<void> {
    return this.admin.disconnect();
  }
}
