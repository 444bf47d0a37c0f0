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
import { describeError, isDependencyDown } from './errors';
import { deadLetter, type BatchHandler, type Decoder, type Message, type Outcome } from './outcome';
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
  /**
   * Attempts at a slice whose handler throws an error that is not a dependency outage
   * (see isDependencyDown) before the slice is bisected to find the message that fails (3).
   */
  maxAttempts?: number;
  /** stop() returns within this, whatever a handler does (8000 ms: contracts §1 gives the whole process 10 s). */
  stopTimeoutMs?: number;
  /** Heartbeats go out this often, also while a handler runs, so a rebalance is seen inside a slow slice (3000 ms). */
  heartbeatIntervalMs?: number;
  /** The group drops a member it has not heard from for this long (30000 ms). */
  sessionTimeoutMs?: number;
  /** In a rebalance, the group waits this long for every member to rejoin (20000 ms). */
  rebalanceTimeoutMs?: number;
  /** Seen by tests and benchmarks; nothing in the fleet depends on it. */
  observer?: ConsumerObserver;
}

export interface ConsumerObserver {
  /** The broker accepted this commit. */
  committed?(partition: number, offset: string): void;
  /** A handler call (or a DLQ write, or a commit) failed. */
  failed?(partition: number, error: unknown): void;
  /** This member was given these partitions of its topic. */
  assigned?(partitions: number[]): void;
  /** This member learnt that it lost these partitions of its topic. */
  revoked?(partitions: number[]): void;
  /** A slice is about to be handed to the handler. */
  handing?(partition: number, offsets: string[]): void;
}

/** A slice stopped between handler calls: the consumer is stopping or lost the partition. */
class SliceInterrupted extends Error {}

interface FailingPartition {
  attempts: number;
  since: number;
  lastError: string;
  resumeTimer?: NodeJS.Timeout;
}

/**
 * The fleet's Kafka consumer. Batches go to the handler in slices; per partition the
 * commit is the highest processed offset + 1, made only after the slice's effects and DLQ
 * writes, never for a partition this member knows it lost. A dependency outage pauses the
 * partition and retries it with backoff for as long as it takes; any other error is
 * retried a few times, then the slice is bisected and the message that fails goes to the
 * DLQ. See docs/consumer.md.
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
  /** Set when stop() ran out of time: slices still running are dropped, never committed. */
  private abandoned = false;
  private abandon!: () => void;
  private readonly abandonedSignal = new Promise<void>((resolve) => (this.abandon = resolve));
  private stopping?: Promise<void>;

  constructor(private readonly options: StreamConsumerOptions<T>) {
    this.consumer = options.client.consumer({
      groupId: options.groupId,
      fromBeginning: options.fromBeginning ?? true,
      maxWaitMs: options.maxWaitMs ?? 250,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      sessionTimeoutMs: options.sessionTimeoutMs,
      rebalanceTimeoutMs: options.rebalanceTimeoutMs,
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
    this.consumer.onRevoked((revoked) => this.onRevoked(revoked));
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

  /**
   * Contracts §1: no new work; the slices in flight finish and commit, then the member
   * leaves the group. Returns within stopTimeoutMs whatever a handler does: a slice still
   * running then is dropped uncommitted, so the next owner gets it again.
   */
  stop(): Promise<void> {
    if (!this.running) return this.stopping ?? Promise.resolve();
    this.running = false;
    this.stopping = this.shutDown();
    return this.stopping;
  }

  private async shutDown(): Promise<void> {
    const budget = this.options.stopTimeoutMs ?? 8000;
    const deadline = Date.now() + budget;
    clearInterval(this.lagTimer);
    for (const state of this.failing.values()) clearTimeout(state.resumeTimer);
    // kafkajs' disconnect does not wait for eachBatch calls in progress; we do, up to a
    // point, and keep the rest of the budget for leaving the group and the producer.
    const drained = await within(Promise.allSettled([...this.inFlight]), budget * 0.6);
    if (!drained) {
      this.abandoned = true;
      this.abandon();
      this.options.logger.warn(
        { group: this.options.groupId, slices: this.inFlight.size },
        'stop_timeout: slices in flight dropped uncommitted; the next owner gets them again',
      );
    }
    await within(this.lagTick ?? Promise.resolve(), Math.max(0, deadline - Date.now()));
    const left = await within(
      this.consumer
        .disconnect()
        .catch((error) => this.options.logger.warn({ err: (error as Error).message }, 'consumer disconnect failed')),
      Math.max(0, deadline - Date.now()),
    );
    if (!left) this.options.logger.warn({ group: this.options.groupId }, 'consumer disconnect did not finish in time');
    await within(
      Promise.allSettled([this.admin.disconnect(), this.ownsProducer ? this.dlqProducer.disconnect() : undefined]),
      Math.max(0, deadline - Date.now()),
    );
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
    this.options.observer?.assigned?.(mine);
  }

  /** From here on no slice of these partitions reaches the handler and nothing is committed for them. */
  private onRevoked(revoked: { topic: string; partitions: number[] }[]): void {
    const mine = revoked.find((entry) => entry.topic === this.options.topic)?.partitions ?? [];
    for (const partition of mine) this.assigned.delete(partition);
    this.options.metrics?.increment('consumer.revocations', 1, { topic: this.options.topic, group: this.options.groupId });
    this.options.logger.info({ group: this.options.groupId, partitions: mine }, 'partitions revoked');
    this.options.observer?.revoked?.(mine);
  }

  private async onBatch(batch: IncomingBatch, context: BatchContext): Promise<void> {
    // A partition waiting out its backoff is left unresolved: it is fetched again after resume.
    if (!this.running || this.failing.get(batch.partition)?.resumeTimer || context.isStale()) return;
    const work = this.processBatch(batch, context);
    this.inFlight.add(work);
    try {
      // Once stop() gives up on a slice, kafkajs must not wait for it either.
      await Promise.race([work, this.abandonedSignal]);
    } finally {
      this.inFlight.delete(work);
    }
  }

  private interrupted(context: BatchContext): boolean {
    return !this.running || this.abandoned || !context.isRunning() || context.isStale();
  }

  private async processBatch(batch: IncomingBatch, context: BatchContext): Promise<void> {
    for (let start = 0; start < batch.records.length; start += this.maxHandlerBatch) {
      if (this.interrupted(context)) return;
      const slice = batch.records.slice(start, start + this.maxHandlerBatch);
      if (!(await this.processSlice(batch, slice, context))) return;
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
    // Heartbeats while the handler runs: a rebalance is seen inside a slow slice, not after it.
    const beat = setInterval(() => {
      if (!context.isStale()) context.heartbeat().catch(() => undefined);
    }, this.options.heartbeatIntervalMs ?? 3000);
    beat.unref();
    try {
      const outcomes = messages.length > 0 ? await this.settle(messages, { topic, partition }, context, this.maxAttempts) : [];
      outcomes.forEach((outcome, index) => {
        if (outcome.kind === 'dlq') deadLetters.push(deadLetterOf(messages[index].record, outcome.reason));
      });
    } catch (error) {
      if (error instanceof SliceInterrupted) return false;
      this.fail(partition, error);
      return false;
    } finally {
      clearInterval(beat);
    }
    try {
      if (deadLetters.length > 0) await this.dlqProducer.send(dlqTopicOf(topic), deadLetters);
    } catch (error) {
      this.fail(partition, error);
      return false;
    }

    const last = slice[slice.length - 1].offset;
    const next = BigInt(last) + 1n;
    // A slice that finished while stop() waited for it is committed (contracts §1); one dropped or revoked is not.
    if (this.abandoned || context.isStale()) return this.notCommitted(partition, last, 'dropped or revoked during the slice');
    try {
      await context.heartbeat();
    } catch (error) {
      if (context.isStale()) {
        this.notCommitted(partition, last, 'the group is rebalancing');
        // Not swallowed: kafkajs ends this fetch and rejoins the group at once.
        throw error;
      }
      this.options.logger.warn({ err: (error as Error).message, partition }, 'heartbeat failed');
    }
    try {
      await this.consumer.commit([{ topic, partition, offset: next.toString() }]);
    } catch (error) {
      this.options.metrics?.increment('consumer.commit_failed', 1, { topic, group: this.options.groupId });
      this.options.logger.warn({ err: (error as Error).message, partition, offset: next.toString() }, 'commit_failed');
      this.options.observer?.failed?.(partition, error);
      // Unresolved, the slice is fetched again: by this member after a backoff, or by the next owner.
      if (this.running && !this.abandoned && !context.isStale()) this.fail(partition, error);
      return false;
    }
    this.options.observer?.committed?.(partition, next.toString());
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

  private notCommitted(partition: number, offset: string, why: string): false {
    this.options.logger.info({ partition, offset, why }, 'slice not committed');
    return false;
  }

  private get maxAttempts(): number {
    return Math.max(1, this.options.maxAttempts ?? 3);
  }

  /**
   * The outcomes of a slice. A dependency outage is thrown (the partition backs off and
   * retries). Any other error is retried up to `attempts` times, then the slice is cut in
   * halves, each tried once and cut again while it fails, until the message that fails
   * is alone: it is dead-lettered with the error, and the others keep their outcomes.
   */
  private async settle(
    messages: Message<T>[],
    source: { topic: string; partition: number },
    context: BatchContext,
    attempts: number,
  ): Promise<Outcome[]> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (this.interrupted(context)) throw new SliceInterrupted();
      try {
        this.options.observer?.handing?.(
          source.partition,
          messages.map((message) => message.record.offset),
        );
        const outcomes = await this.options.handler(messages, source);
        if (!Array.isArray(outcomes) || outcomes.length !== messages.length) {
          throw new Error(
            `handler returned ${Array.isArray(outcomes) ? outcomes.length : typeof outcomes} outcomes for ${messages.length} messages`,
          );
        }
        return outcomes;
      } catch (error) {
        if (isDependencyDown(error)) throw error;
        lastError = error;
        this.options.observer?.failed?.(source.partition, error);
        this.options.logger.warn(
          { partition: source.partition, messages: messages.length, attempt, err: describeError(error) },
          'handler_failed',
        );
        if (attempt < attempts) await this.pauseBriefly(backoffDelay(attempt - 1, this.backoff), context);
      }
    }
    if (messages.length === 1) {
      this.options.metrics?.increment('consumer.isolated', 1, { topic: source.topic, group: this.options.groupId });
      return [deadLetter(`handler failed: ${describeError(lastError)}`)];
    }
    const middle = Math.ceil(messages.length / 2);
    const first = await this.settle(messages.slice(0, middle), source, context, 1);
    const second = await this.settle(messages.slice(middle), source, context, 1);
    return [...first, ...second];
  }

  private async pauseBriefly(ms: number, context: BatchContext): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (this.interrupted(context)) throw new SliceInterrupted();
      await new Promise((resolve) => setTimeout(resolve, Math.min(50, until - Date.now())));
    }
  }

  private fail(partition: number, error: unknown): void {
    const now = Date.now();
    const state = this.failing.get(partition) ?? { attempts: 0, since: now, lastError: '' };
    state.attempts += 1;
    state.lastError = error instanceof Error ? error.message : describeError(error);
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
      if (watermark) {
        // An ingest clock up to the grace behind ours may stamp what is still on its way as early
        // as observedAt - grace: only times before that are vouched for (contracts §5, clock skew).
        const endMs = observedAt - watermark.store.graceMs;
        await Promise.all(atEnd.map((partition) => watermark.store.record(partition, null, endMs)));
        // How far the group's watermark trails the wall clock: a stuck decision queue shows here.
        const low = await watermark.store.low(ends.length);
        if (low !== null) {
          this.options.metrics?.gauge('consumer.watermark_lag_ms', Math.max(0, Date.now() - low), {
            topic: this.options.topic,
            group: this.options.groupId,
          });
        }
      }
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

/** True when the work settled within the time; it is left running otherwise. */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([
      work.then(
        () => true as const,
        () => true as const,
      ),
      timedOut,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
