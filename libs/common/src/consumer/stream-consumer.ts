import type { HealthRegistry, CheckResult } from '../health/health';
import { dlqTopicOf } from '../kafka/topics';
import type {
  BatchContext,
  GroupConsumer,
  IncomingBatch,
  IncomingRecord,
  OutgoingRecord,
  StreamAdmin,
  StreamClient,
  StreamProducer,
} from '../kafka/stream-client';
import type { Logger } from '../logging/logger';
import type { Metrics } from '../metrics/metrics';
import { backoffDelay, type BackoffPolicy } from './backoff';
import type { BatchHandler, Decoder, Message } from './outcome';
import type { Watermark } from './watermark';

export interface StreamConsumerOptions<T> {
  client: StreamClient;
  groupId: string;
  topic: string;
  decoder: Decoder<T>;
  handler: BatchHandler<T>;
  logger: Logger;
  metrics?: Metrics;
  /** Registers the check `consumer:<group>` there. */
  health?: HealthRegistry;
  /** For DLQ records; the consumer makes its own when absent. */
  dlqProducer?: StreamProducer;
  /** Partitions processed at the same time by this instance. */
  concurrency?: number;
  /** Largest slice handed to the handler at once; a fetched batch is cut into slices, each committed after its effects. */
  maxHandlerBatch?: number;
  backoff?: BackoffPolicy;
  /** A partition failing this long makes health critical (warning before). */
  criticalAfterMs?: number;
  /** Lag without progress for this long makes health critical: the loop is stuck. */
  stallAfterMs?: number;
  /** How often lag is measured and idle partitions are marked at their end. */
  lagIntervalMs?: number;
  /** Shares event-time progress with the group's other instances (contracts §5). */
  watermark?: { store: Watermark; eventTimeOf(value: T): number };
  fromBeginning?: boolean;
  maxWaitMs?: number;
  /** Seen by tests and benchmarks; nothing in the fleet depends on it. */
  observer?: ConsumerObserver;
}

export interface ConsumerObserver {
  committed?(partition: number, offset: string): void;
  failed?(partition: number, error: unknown): void;
}

interface FailingPartition {
  attempts: number;
  since: number;
  lastError: string;
  resumeTimer?: NodeJS.Timeout;
}

/**
 * The fleet's Kafka consumer. Batches go to the handler in slices; per partition the
 * commit is the highest processed offset + 1, made only after the slice's effects and DLQ
 * writes, never for a partition this member has lost. A handler that throws means a
 * dependency is down: the partition pauses and is handed the same messages again after
 * a backoff, while the other partitions go on.
 */
export class StreamConsumer<T> {
  private readonly consumer: GroupConsumer;
  private readonly admin: StreamAdmin;
  private readonly dlqProducer: StreamProducer;
  private readonly ownsProducer: boolean;
  private readonly maxHandlerBatch: number;
  private readonly backoff: BackoffPolicy;
  private readonly failing = new Map<number, FailingPartition>();
  private readonly positions = new Map<number, bigint>();
  private readonly inFlight = new Set<Promise<void>>();
  private assigned = new Set<number>();
  private running = false;
  private started = false;
  private crashed?: Error;
  private lastProgressAt = Date.now();
  private lagByPartition = new Map<number, bigint>();
  private lagTimer?: NodeJS.Timeout;
  private lagTick?: Promise<void>;

  constructor(private readonly options: StreamConsumerOptions<T>) {
    this.consumer = options.client.consumer({
      groupId: options.groupId,
      fromBeginning: options.fromBeginning ?? true,
      maxWaitMs: options.maxWaitMs ?? 250,
    });
    this.admin = options.client.admin();
    this.ownsProducer = !options.dlqProducer;
    this.dlqProducer = options.dlqProducer ?? options.client.producer();
    this.maxHandlerBatch = options.maxHandlerBatch ?? 5000;
    this.backoff = options.backoff ?? { initialMs: 200, maxMs: 10_000 };
    options.health?.register(`consumer:${options.groupId}`, () => this.check());
  }

  get groupId(): string {
    return this.options.groupId;
  }

  /** This member's partitions since the last rebalance. */
  assignedPartitions(): ReadonlySet<number> {
    return this.assigned;
  }

  async start(): Promise<void> {
    this.running = true;
    this.consumer.onAssignment((assignment) => this.onAssignment(assignment));
    this.consumer.onCrash((error) => {
      this.crashed = error;
      this.options.logger.error({ err: error.message, group: this.options.groupId }, 'consumer crashed and will not restart');
    });
    await Promise.all([
      this.consumer.connect(),
      this.admin.connect(),
      this.ownsProducer ? this.dlqProducer.connect() : undefined,
    ]);
    await this.consumer.subscribe([this.options.topic]);
    await this.consumer.run({
      concurrency: this.options.concurrency ?? 3,
      eachBatch: (batch, context) => this.onBatch(batch, context),
    });
    this.started = true;
    this.lagTimer = setInterval(
      () => {
        this.lagTick ??= this.measureLag().finally(() => (this.lagTick = undefined));
      },
      this.options.lagIntervalMs ?? (this.options.watermark ? 1000 : 5000),
    );
    this.lagTimer.unref();
  }

  /** Contracts §1: no new work, the slices in flight finish and commit, then the member leaves the group. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.lagTimer);
    for (const state of this.failing.values()) clearTimeout(state.resumeTimer);
    // kafkajs' disconnect does not wait for eachBatch calls in progress; we do.
    await Promise.allSettled([...this.inFlight]);
    await this.lagTick?.catch(() => undefined);
    await this.consumer
      .disconnect()
      .catch((error) => this.options.logger.warn({ err: error.message }, 'consumer disconnect failed'));
    await this.admin.disconnect().catch(() => undefined);
    if (this.ownsProducer) await this.dlqProducer.disconnect().catch(() => undefined);
  }

  private onAssignment(assignment: { topic: string; partitions: number[] }[]): void {
    const mine = assignment.find((entry) => entry.topic === this.options.topic)?.partitions ?? [];
    this.assigned = new Set(mine);
    for (const partition of [...this.positions.keys()]) if (!this.assigned.has(partition)) this.positions.delete(partition);
    // A partition that moved to another member is that member's to retry now.
    const gone = [...this.failing.keys()].filter((partition) => !this.assigned.has(partition));
    for (const partition of gone) (clearTimeout(this.failing.get(partition)?.resumeTimer), this.failing.delete(partition));
    if (gone.length > 0) this.consumer.resume([{ topic: this.options.topic, partitions: gone }]);
    this.lastProgressAt = Date.now();
    const stillPaused = mine.filter((partition) => this.failing.get(partition)?.resumeTimer);
    if (stillPaused.length > 0) this.consumer.pause([{ topic: this.options.topic, partitions: stillPaused }]);
    this.options.logger.info({ group: this.options.groupId, partitions: mine }, 'partitions assigned');
  }

  private async onBatch(batch: IncomingBatch, context: BatchContext): Promise<void> {
    // A partition waiting out its backoff is left unresolved: it is fetched again after resume.
    if (!this.running || this.failing.get(batch.partition)?.resumeTimer || context.isStale()) return;
    const work = this.processBatch(batch, context);
    this.inFlight.add(work);
    try {
      await work;
    } finally {
      this.inFlight.delete(work);
    }
  }

  private async processBatch(batch: IncomingBatch, context: BatchContext): Promise<void> {
    for (let start = 0; start < batch.records.length; start += this.maxHandlerBatch) {
      if (!this.running || !context.isRunning() || context.isStale()) return;
      const slice = batch.records.slice(start, start + this.maxHandlerBatch);
      if (!(await this.processSlice(batch, slice, context))) return;
      await context.heartbeat().catch(() => undefined);
    }
  }

  private async processSlice(batch: IncomingBatch, slice: IncomingRecord[], context: BatchContext): Promise<boolean> {
    const { topic, partition } = batch;
    const startedAt = performance.now();
    const messages: Message<T>[] = [];
    const deadLetters: OutgoingRecord[] = [];
    for (const record of slice) {
      const decoded = this.options.decoder(record);
      if (decoded.ok) messages.push({ value: decoded.value, record });
      else deadLetters.push(deadLetterOf(record, decoded.reason));
    }
    try {
      const outcomes = messages.length > 0 ? await this.options.handler(messages, { topic, partition }) : [];
      if (!Array.isArray(outcomes) || outcomes.length !== messages.length) {
        throw new Error(
          `handler returned ${Array.isArray(outcomes) ? outcomes.length : typeof outcomes} outcomes for ${messages.length} messages`,
        );
      }
      outcomes.forEach((outcome, index) => {
        if (outcome.kind === 'dlq') deadLetters.push(deadLetterOf(messages[index].record, outcome.reason));
      });
      if (deadLetters.length > 0) await this.dlqProducer.send(dlqTopicOf(topic), deadLetters);
    } catch (error) {
      this.fail(partition, error);
      return false;
    }

    const last = slice[slice.length - 1].offset;
    const next = BigInt(last) + 1n;
    if (context.isStale()) {
      this.options.logger.info({ partition, offset: last }, 'partition revoked during the slice; not committing');
      return false;
    }
    try {
      await this.consumer.commit([{ topic, partition, offset: next.toString() }]);
      this.options.observer?.committed?.(partition, next.toString());
    } catch (error) {
      // Safe to go on: a later commit covers this one, or the next owner reprocesses.
      this.options.logger.warn({ err: (error as Error).message, partition }, 'commit failed');
    }
    context.resolveOffset(last);
    this.positions.set(partition, next);
    this.lagByPartition.set(partition, maxBig(0n, BigInt(batch.highWatermark) - next));
    this.lastProgressAt = Date.now();
    this.recover(partition);

    const tags = { topic, group: this.options.groupId };
    this.options.metrics?.increment('consumer.processed', slice.length, tags);
    if (deadLetters.length > 0) this.options.metrics?.increment('consumer.dlq', deadLetters.length, tags);
    this.options.metrics?.gauge('consumer.batch_size', slice.length, tags);
    this.options.metrics?.timing('consumer.batch_ms', performance.now() - startedAt, tags);

    const watermark = this.options.watermark;
    if (watermark && messages.length > 0) {
      let latest = -Infinity;
      for (const message of messages) latest = Math.max(latest, watermark.eventTimeOf(message.value));
      await watermark.store
        .record(partition, latest, null)
        .catch((error) => this.options.logger.warn({ err: error.message }, 'watermark update failed'));
    }
    return true;
  }

  private fail(partition: number, error: unknown): void {
    const now = Date.now();
    const state = this.failing.get(partition) ?? { attempts: 0, since: now, lastError: '' };
    state.attempts += 1;
    state.lastError = error instanceof Error ? error.message : JSON.stringify(error);
    const delay = backoffDelay(state.attempts - 1, this.backoff);
    this.failing.set(partition, state);
    this.consumer.pause([{ topic: this.options.topic, partitions: [partition] }]);
    clearTimeout(state.resumeTimer);
    state.resumeTimer = setTimeout(() => {
      state.resumeTimer = undefined;
      if (this.running) this.consumer.resume([{ topic: this.options.topic, partitions: [partition] }]);
    }, delay);
    state.resumeTimer.unref();
    this.options.observer?.failed?.(partition, error);
    if (state.attempts === 1 || state.attempts % 10 === 0) {
      this.options.logger.warn(
        { partition, attempts: state.attempts, retryInMs: delay, err: state.lastError },
        'handler failed; partition paused',
      );
    }
  }

  private recover(partition: number): void {
    const state = this.failing.get(partition);
    if (!state) return;
    clearTimeout(state.resumeTimer);
    this.failing.delete(partition);
    this.options.logger.info({ partition, attempts: state.attempts }, 'partition recovered');
  }

  private async measureLag(): Promise<void> {
    const observedAt = Date.now();
    try {
      const [ends, committed] = await Promise.all([
        this.admin.endOffsets(this.options.topic),
        this.admin.committedOffsets(this.options.groupId, this.options.topic),
      ]);
      const committedOf = new Map(committed.map((entry) => [entry.partition, BigInt(entry.offset)]));
      const atEnd: number[] = [];
      for (const { partition, offset } of ends) {
        if (!this.assigned.has(partition)) continue;
        const end = BigInt(offset);
        const position = maxBig(this.positions.get(partition) ?? -1n, committedOf.get(partition) ?? -1n);
        const lag = position < 0n ? end : maxBig(0n, end - position);
        this.lagByPartition.set(partition, lag);
        this.options.metrics?.gauge('consumer.lag', Number(lag), {
          topic: this.options.topic,
          group: this.options.groupId,
          partition,
        });
        if (lag === 0n && !this.failing.has(partition)) atEnd.push(partition);
      }
      for (const partition of [...this.lagByPartition.keys()])
        if (!this.assigned.has(partition)) this.lagByPartition.delete(partition);
      if ([...this.lagByPartition.values()].every((lag) => lag === 0n)) this.lastProgressAt = Date.now();
      // Everything written before observedAt has been consumed on these partitions.
      const watermark = this.options.watermark;
      if (watermark) await Promise.all(atEnd.map((partition) => watermark.store.record(partition, null, observedAt)));
    } catch (error) {
      this.options.logger.debug({ err: (error as Error).message }, 'lag measurement failed');
    }
  }

  /** Health of the consume loop: alive, progressing, and no partition stuck on a dependency. */
  check(): CheckResult {
    if (this.crashed) return { status: 'critical', detail: `consumer crashed: ${this.crashed.message}` };
    if (!this.started) return { status: 'critical', detail: 'consumer not started' };
    const now = Date.now();
    let oldest: [number, FailingPartition] | undefined;
    for (const entry of this.failing) if (!oldest || entry[1].since < oldest[1].since) oldest = entry;
    if (oldest) {
      const [partition, state] = oldest;
      const detail = `partition ${partition} failing for ${now - state.since} ms (${state.attempts} attempts): ${state.lastError}`;
      return { status: now - state.since > (this.options.criticalAfterMs ?? 30_000) ? 'critical' : 'warning', detail };
    }
    const lag = [...this.lagByPartition.values()].reduce((sum, value) => sum + value, 0n);
    if (lag > 0n && now - this.lastProgressAt > (this.options.stallAfterMs ?? 60_000)) {
      return { status: 'critical', detail: `no progress for ${now - this.lastProgressAt} ms with ${lag} messages behind` };
    }
    return { status: 'passing', detail: `lag ${lag}` };
  }
}

function deadLetterOf(record: IncomingRecord, reason: string): OutgoingRecord {
  return {
    key: record.key,
    value: record.value ?? Buffer.alloc(0),
    headers: {
      error: reason.slice(0, 1000),
      'source-topic': record.topic,
      'source-partition': String(record.partition),
      'source-offset': record.offset,
    },
  };
}

const maxBig = (a: bigint, b: bigint): bigint => (a > b ? a : b);
