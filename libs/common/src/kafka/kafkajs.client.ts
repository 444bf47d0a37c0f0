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
      rebalanceTimeout: options.rebalanceTimeoutMs ?? 20000,
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

/**
 * Errors by which the coordinator says this member's generation is over. kafkajs' own
 * isStale() only reports a seek(), so we track ownership ourselves from these and from
 * the assignments: that is what makes BatchContext.isStale() true after a revocation.
 */
const generationOver = new Set([
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'FENCED_INSTANCE_ID',
  'NOT_COORDINATOR_FOR_GROUP',
]);
const endsGeneration = (error: unknown): boolean => {
  for (let cause = error as { type?: unknown; cause?: unknown } | undefined, depth = 0; cause && depth < 5; depth++) {
    if (typeof cause.type === 'string' && generationOver.has(cause.type)) return true;
    cause = cause.cause as typeof cause;
  }
  return false;
};

/** A commit the client returned from without the broker's acknowledgement (kafkajs does so once it stops). */
export class CommitNotAcceptedError extends Error {
  override readonly name = 'CommitNotAcceptedError';
}

class KafkajsGroupConsumer implements GroupConsumer {
  /** Bumped whenever this member's ownership changes; a batch fetched under an older one is stale. */
  private generation = 0;
  private owned = new Map<string, number[]>();
  private readonly revokedListeners: ((revoked: TopicPartitions[]) => void)[] = [];
  /** Offsets the broker acknowledged, per "topic:partition", from kafkajs' COMMIT_OFFSETS event. */
  private readonly accepted = new Map<string, string>();
  /** The coordinator's answer that ended this member's generation, until the next assignment. */
  private endedBy?: unknown;

  constructor(
    private readonly consumer: Consumer,
    private readonly fromBeginning: boolean,
  ) {
    consumer.on(consumer.events.COMMIT_OFFSETS, (event) => {
      for (const { topic, partitions } of event.payload.topics)
        for (const { partition, offset } of partitions) this.accepted.set(`${topic}:${partition}`, String(offset));
    });
    // kafkajs found a rebalance on its own (a fetch or its own heartbeat): our partitions are gone.
    consumer.on(consumer.events.REBALANCING, () => this.revoke());
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      this.generation++;
      this.endedBy = undefined;
      const assignment = event.payload.memberAssignment as Record<string, number[]>;
      this.owned = new Map(Object.entries(assignment));
    });
  }

  private revoke(endedBy?: unknown): void {
    this.endedBy ??= endedBy;
    if (this.owned.size === 0) return;
    this.generation++;
    const revoked = [...this.owned].map(([topic, partitions]) => ({ topic, partitions }));
    this.owned = new Map();
    for (const listener of this.revokedListeners) listener(revoked);
  }

  private owns(topic: string, partition: number): boolean {
    return this.owned.get(topic)?.includes(partition) ?? false;
  }

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
      eachBatch: async ({ batch, isRunning, heartbeat, resolveOffset }) => {
        const generation = this.generation;
        const isStale = () => generation !== this.generation || !this.owns(batch.topic, batch.partition);
        await options.eachBatch(
          {
            topic: batch.topic,
            partition: batch.partition,
            highWatermark: batch.highWatermark,
            records: batch.messages.map((message) => new KafkajsRecord(batch.topic, batch.partition, message)),
          },
          {
            isRunning,
            isStale,
            heartbeat: async () => {
              try {
                await heartbeat();
              } catch (error) {
                if (endsGeneration(error)) this.revoke(error);
                throw error;
              }
            },
            resolveOffset,
          },
        );
        // The generation is over: hand kafkajs the coordinator's answer, so that it rejoins now
        // instead of fetching on until its own next heartbeat.
        if (this.endedBy !== undefined) throw this.endedBy;
      },
    });
  }

  async commit(offsets: CommitOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    for (const { topic, partition } of offsets) this.accepted.delete(`${topic}:${partition}`);
    try {
      await this.consumer.commitOffsets(offsets);
    } catch (error) {
      if (endsGeneration(error)) this.revoke(error);
      throw error;
    }
    // kafkajs resolves without committing when its runner is stopping; only the broker's answer counts.
    const skipped = offsets.filter(({ topic, partition, offset }) => this.accepted.get(`${topic}:${partition}`) !== offset);
    if (skipped.length > 0) {
      throw new CommitNotAcceptedError(
        `commit not accepted by the broker for ${skipped.map((entry) => `${entry.topic}[${entry.partition}]@${entry.offset}`).join(', ')}`,
      );
    }
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

  onRevoked(listener: (revoked: TopicPartitions[]) => void): void {
    this.revokedListeners.push(listener);
  }

  onCrash(listener: (error: Error) => void): void {
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      if (!event.payload.restart) listener(event.payload.error);
    });
  }

  async disconnect(): Promise<void> {
    await this.consumer.disconnect();
    this.revoke();
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
