/**
 * The fleet's only view of a Kafka client. kafkajs implements it today
 * (kafkajs.client.ts); another client (e.g. @confluentinc/kafka-javascript) replaces
 * that one file and must pass test/consumer/stream-client.contract.ts.
 */
export interface OutgoingRecord {
  key: string | Buffer | null;
  value: string | Buffer;
  headers?: Record<string, string>;
  /** Set only to override the client's default (murmur2 of the key, as the Java client does). */
  partition?: number;
  /** Milliseconds since the epoch; the broker's time when absent. */
  timestamp?: number;
}

export interface IncomingRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
  timestamp: number;
}

export interface IncomingBatch {
  topic: string;
  partition: number;
  records: IncomingRecord[];
  /** The partition's end offset when the batch was fetched: the offset of the next record to be written. */
  highWatermark: string;
}

export interface BatchContext {
  /** False once the consumer is stopping: stop work that has not started. */
  isRunning(): boolean;
  /**
   * True once this member knows the batch's partition is no longer its own: a rebalance was
   * signalled (by a heartbeat or a commit) or the group was joined again since the batch was
   * fetched. Then hand no more of it to a handler and commit nothing for it.
   */
  isStale(): boolean;
  /** Rejects when the group is rebalancing or has dropped this member; the batch is then stale. */
  heartbeat(): Promise<void>;
  /** Moves this member's fetch position past the record; unresolved records are fetched again. */
  resolveOffset(offset: string): void;
}

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface CommitOffset {
  topic: string;
  partition: number;
  /** The next offset to read: the last processed offset + 1. */
  offset: string;
}

export interface GroupConsumerOptions {
  groupId: string;
  /** Where a group with no committed offset starts. */
  fromBeginning?: boolean;
  maxWaitMs?: number;
  maxBytesPerPartition?: number;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** How long the group waits for every member to rejoin in a rebalance before dropping it. */
  rebalanceTimeoutMs?: number;
}

export interface GroupConsumer {
  connect(): Promise<void>;
  subscribe(topics: string[]): Promise<void>;
  run(options: { concurrency: number; eachBatch(batch: IncomingBatch, context: BatchContext): Promise<void> }): Promise<void>;
  /** Resolves only once the broker accepted these offsets; a commit refused or skipped by the client rejects. */
  commit(offsets: CommitOffset[]): Promise<void>;
  pause(target: TopicPartitions[]): void;
  resume(target: TopicPartitions[]): void;
  /** Called with this member's assignment after every rebalance. */
  onAssignment(listener: (assigned: TopicPartitions[]) => void): void;
  /** Called as soon as this member knows it lost its partitions (a rebalance began, or it was dropped from the group). */
  onRevoked(listener: (revoked: TopicPartitions[]) => void): void;
  /** Called when the client gave up and will not consume any more. */
  onCrash(listener: (error: Error) => void): void;
  disconnect(): Promise<void>;
}

export interface ProducerOptions {
  /** Idempotent, acks=all. On by default. */
  idempotent?: boolean;
  /** Per-request timeout towards the broker. */
  requestTimeoutMs?: number;
  /** Retries inside the client before send() rejects; unlimited for idempotent producers by default. */
  retries?: number;
}

export interface StreamProducer {
  connect(): Promise<void>;
  /** Resolves once every record is acknowledged by all in-sync replicas (acks=all). */
  send(topic: string, records: OutgoingRecord[]): Promise<void>;
  disconnect(): Promise<void>;
}

export interface PartitionOffset {
  partition: number;
  offset: string;
}

export interface StreamAdmin {
  connect(): Promise<void>;
  /** Creates the topics that do not exist yet; existing ones are left as they are. */
  ensureTopics(specs: { topic: string; partitions: number }[]): Promise<void>;
  partitionCount(topic: string): Promise<number>;
  endOffsets(topic: string): Promise<PartitionOffset[]>;
  /** The group's committed offsets; '-1' where it has none. */
  committedOffsets(groupId: string, topic: string): Promise<PartitionOffset[]>;
  /** Moves the (inactive) group to the first offset at or after the time, per partition. */
  resetOffsetsToTime(groupId: string, topic: string, timestampMs: number): Promise<PartitionOffset[]>;
  disconnect(): Promise<void>;
}

export interface StreamClient {
  producer(options?: ProducerOptions): StreamProducer;
  consumer(options: GroupConsumerOptions): GroupConsumer;
  admin(): StreamAdmin;
}
