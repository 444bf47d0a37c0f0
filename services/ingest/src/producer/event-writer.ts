import type { CheckResult, Logger, OutgoingRecord, StreamProducer } from '@mmp/common';
import { SpoolFullError, type Spool, type SpooledBatch } from '../store/spool/spool';
import type { SpoolDirectory } from '../store/spool/spool-directory';
import type { SpoolRecord } from '../store/spool/spool-frame';
import { CoalescingSender, DivertedError } from './coalescing-sender';
import { isTooLargeError, SendBudget } from './send-budget';

/** The events could be made durable neither in Kafka nor in the spool: the request is answered 503. */
export class UnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnavailableError';
  }
}

/** A record bigger than the broker takes in any send: it could never be produced, so it is never accepted. */
export class RecordTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`an event takes more than the ${maxBytes} bytes Kafka takes in one message`);
    this.name = 'RecordTooLargeError';
  }
}

export interface EventWriterOptions {
  topic: string;
  /** How long a write waits for Kafka's acknowledgement, from the moment it leaves the coalescer's queue, before the spool takes it. */
  produceTimeoutMs: number;
  /** What one send may carry (the broker's `message.max.bytes`). */
  budget?: SendBudget;
  logger: Logger;
  onProduced?(ms: number, records: number): void;
}

export type Durability = 'kafka' | 'spool';

const REPLAY_MAX_RECORDS = 5000;

type Outcome = 'acked' | 'failed' | 'timeout' | 'diverted';

/**
 * Writes accepted events durably: to Kafka (acks=all) while it answers in time, else to
 * the on-disk spool. Once one write went to the spool, every later one does too until
 * the replay has caught up, so events reach Kafka in the order they were accepted.
 */
export class EventWriter {
  private spooling = false;
  private spoolReason = '';
  private connected = false;
  private connecting?: Promise<void>;
  private closed = false;
  private appendsUnderWay = 0;
  private wake?: () => void;
  private replaying?: Promise<void>;
  private readonly sender: CoalescingSender;
  private lastSpoolError?: string;
  /** The size of the last frame the full spool refused: health is critical while it still would not fit. */
  private refusedBytes = 0;
  private readonly budget: SendBudget;

  constructor(
    private readonly producer: StreamProducer,
    private readonly directory: SpoolDirectory,
    private readonly options: EventWriterOptions,
  ) {
    this.budget = options.budget ?? new SendBudget();
    this.sender = new CoalescingSender(producer, { topic: options.topic, onSent: options.onProduced, budget: this.budget });
    // Spools adopted while running are replayed alongside direct writes (no order holds across processes anyway).
    directory.onAdopted = () => this.wake?.();
    // Batches left by a previous owner are replayed before anything new.
    this.spooling = this.hasWaiting();
    if (this.spooling) this.spoolReason = 'replaying adopted spool';
  }

  /** Connects (waiting at most `connectTimeoutMs`; a Kafka that is down at boot only means spooling) and starts the replay. */
  async start(connectTimeoutMs: number): Promise<void> {
    this.connecting = this.producer.connect();
    if ((await settleWithin(this.connecting, connectTimeoutMs)) === 'acked') this.connected = true;
    else this.startSpooling('Kafka unreachable');
    this.replaying = this.replayLoop();
  }

  /** Whether every record can be produced at all (each alone within the broker's message limit). */
  producible(records: OutgoingRecord[]): boolean {
    return records.every((record) => this.budget.fits(record));
  }

  /**
   * Resolves once every record is durable; rejects with UnavailableError when neither Kafka
   * nor the spool takes them, and with RecordTooLargeError (before anything is written)
   * when one could never be produced.
   */
  async write(records: OutgoingRecord[]): Promise<Durability> {
    if (this.closed) throw new UnavailableError('ingest is stopping');
    if (!this.producible(records)) throw new RecordTooLargeError(this.budget.bytes);
    if (!this.spooling && this.connected) {
      let sending!: Promise<void>;
      const outcome = await new Promise<Outcome>((resolve) => {
        let timer: NodeJS.Timeout | undefined;
        // The clock starts when the records leave the coalescer's queue: waiting behind other
        // requests under load is not Kafka being slow (and a queue the writer gives up on is diverted).
        sending = this.sender.send(records, () => {
          timer = setTimeout(() => resolve('timeout'), this.options.produceTimeoutMs);
        });
        sending.then(
          () => (clearTimeout(timer), resolve('acked')),
          (error) => (clearTimeout(timer), resolve(error instanceof DivertedError ? 'diverted' : 'failed')),
        );
      });
      if (outcome === 'acked') return 'kafka';
      if (outcome !== 'diverted')
        this.startSpooling(
          outcome === 'timeout' ? `no acknowledgement within ${this.options.produceTimeoutMs} ms` : 'Kafka write failed',
        );
      // A send still under way may be acknowledged later: the spooled copy then counts as delivered.
      return this.spool(
        records,
        outcome === 'timeout'
          ? sending.then(
              () => true,
              () => false,
            )
          : undefined,
      );
    }
    return this.spool(records);
  }

  /** Contracts §1 health: Kafka down while the spool takes the writes is a warning, not an outage. */
  kafkaHealth(reachable: CheckResult): CheckResult {
    if (reachable.status === 'passing') return reachable;
    const spoolTrouble = this.spoolTrouble();
    if (spoolTrouble) return { status: 'critical', detail: `${reachable.detail}; and ${spoolTrouble}` };
    return { status: 'warning', detail: `${reachable.detail ?? 'Kafka unreachable'}; accepted events go to the spool` };
  }

  spoolHealth(): CheckResult {
    const own = this.directory.own;
    const spoolTrouble = this.spoolTrouble();
    if (spoolTrouble) return { status: 'critical', detail: spoolTrouble };
    const events = this.directory.spools.reduce((sum, spool) => sum + spool.waitingEvents, 0);
    if (this.spooling || events > 0) {
      return {
        status: 'warning',
        detail: `spooling (${this.spoolReason}): ${events} events waiting for Kafka, ${own.bytes} bytes on disk`,
      };
    }
    return { status: 'passing' };
  }

  /** Why the spool cannot take writes now: it fails, or it is full (until the replay has freed room for what it last refused, or Kafka takes the writes again). */
  private spoolTrouble(): string | undefined {
    if (this.directory.fenced) return 'the spool lease lapsed and another process adopted the directory: restart this one';
    if (this.lastSpoolError) return `the spool fails: ${this.lastSpoolError}`;
    const own = this.directory.own;
    // Only while writes go to the spool: once Kafka takes them again, a full spool refuses nothing.
    if (this.spooling && this.refusedBytes > 0 && own.bytes + this.refusedBytes > own.maxBytes)
      return `the spool is full (${own.bytes} of ${own.maxBytes} bytes): new events are refused`;
    this.refusedBytes = 0;
    return undefined;
  }

  get isSpooling(): boolean {
    return this.spooling;
  }

  /** Stops replaying and waits (bounded) for what is under way; undelivered batches stay on disk for the next owner. */
  async close(timeoutMs = 5000): Promise<void> {
    this.closed = true;
    this.wake?.();
    await settleWithin(this.replaying ?? Promise.resolve(), timeoutMs);
    const pending = this.directory.spools.flatMap((spool) =>
      spool
        .peek()
        .filter((batch) => batch.inFlight)
        .map((batch) => ({ spool, batch })),
    );
    await settleWithin(
      Promise.all(
        pending.map(({ spool, batch }) => batch.inFlight!.then((acked) => (acked ? spool.markDelivered([batch]) : undefined))),
      ),
      2000,
    );
    await this.directory.close();
  }

  private startSpooling(reason: string): void {
    if (!this.spooling) this.options.logger.warn({ reason }, 'Kafka does not take writes; spooling accepted events to disk');
    this.spooling = true;
    this.spoolReason = reason;
    // Requests still queued for Kafka go to the spool now, behind the ones that failed, not after a wait of their own.
    this.sender.divertWaiting();
    this.wake?.();
  }

  private async spool(records: OutgoingRecord[], inFlight?: Promise<boolean>): Promise<Durability> {
    // Without a fresh lease the directory may be another process's by now (see SpoolDirectory).
    if (!this.directory.usable) throw new UnavailableError('the spool lease is not held');
    this.appendsUnderWay++;
    try {
      await this.directory.own.append(records.map(toSpoolRecord), inFlight);
      this.lastSpoolError = undefined;
      this.refusedBytes = 0;
      return 'spool';
    } catch (error) {
      if (error instanceof SpoolFullError) {
        this.refusedBytes = Math.max(1, error.frameBytes);
        throw new UnavailableError(error.message);
      }
      // Health is public: it names the error, never the file-system path that the message holds (the log has it).
      this.lastSpoolError = `${(error as NodeJS.ErrnoException).code ?? (error as Error).name}`;
      this.options.logger.error({ err: (error as Error).message }, 'spool write failed');
      throw new UnavailableError('the spool cannot be written');
    } finally {
      this.appendsUnderWay--;
      this.wake?.();
    }
  }

  private hasWaiting(): boolean {
    return this.directory.spools.some((spool) => spool.waitingBatches > 0);
  }

  /** Sends the spooled batches in order, adopted spools first; switches back to direct writes once all are out. */
  private async replayLoop(): Promise<void> {
    let backoffMs = 250;
    while (!this.closed) {
      if (!this.connected) {
        try {
          await (this.connecting ??= this.producer.connect());
          this.connected = true;
        } catch {
          this.connecting = undefined;
          await this.pause(backoffMs);
          backoffMs = Math.min(backoffMs * 2, 4000);
          continue;
        }
      }
      if (!this.directory.usable) {
        await this.pause(1000);
        continue;
      }
      const spool = this.directory.spools.find((candidate) => candidate.waitingBatches > 0);
      if (!spool) {
        if (this.spooling && this.appendsUnderWay === 0) {
          this.spooling = false;
          this.options.logger.info('spool replayed; writing to Kafka directly again');
        }
        await this.directory
          .prune()
          .catch((error) => this.options.logger.warn({ err: (error as Error).message }, 'spool cleanup failed'));
        // Appends under way wake the loop when they land; a plain `continue` here would spin without yielding.
        await this.pause(this.spooling ? 100 : 60_000);
        continue;
      }
      try {
        const head = spool.peek(1)[0];
        if (head.inFlight) {
          const acked = await head.inFlight;
          head.inFlight = undefined;
          if (acked) await spool.markDelivered([head]);
          continue;
        }
        const batches = takeHead(spool, this.budget.bytes);
        const records: OutgoingRecord[] = [];
        for (const batch of batches) for (const record of await spool.read(batch)) records.push(record);
        for (const chunk of this.budget.split(records)) await this.replaySend(chunk.records);
        await spool.markDelivered(batches);
        backoffMs = 250;
      } catch (error) {
        this.options.logger.warn({ err: (error as Error).message, dir: spool.dir }, 'spool replay failed; retrying');
        await this.pause(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 4000);
      }
    }
  }

  /**
   * Sends records of the spool in order. Should the broker still refuse their size (its
   * limit is lower than configured), they go in halves, and a record refused on its own
   * is set aside on disk: nothing in the spool may block the records behind it.
   */
  private async replaySend(records: OutgoingRecord[]): Promise<void> {
    const started = performance.now();
    try {
      await this.producer.send(this.options.topic, records);
      this.options.onProduced?.(performance.now() - started, records.length);
    } catch (error) {
      if (!isTooLargeError(error)) throw error;
      if (records.length === 1) {
        await this.directory.setAside(records.map(toSpoolRecord), (error as Error).message);
        this.options.logger.error(
          { err: (error as Error).message, key: String(records[0].key) },
          'Kafka refuses a spooled event for its size; set aside in the spool root',
        );
        return;
      }
      const half = Math.ceil(records.length / 2);
      await this.replaySend(records.slice(0, half));
      await this.replaySend(records.slice(half));
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }
}

/**
 * Consecutive batches from the head of the spool, up to a send's worth (by records, and by
 * frame bytes, which bound their records' bytes), stopping before one whose original write
 * is still open. The first batch is always taken, however big: the replay splits its records.
 */
function takeHead(spool: Spool, maxBytes: number): SpooledBatch[] {
  const taken: SpooledBatch[] = [];
  let records = 0;
  let bytes = 0;
  for (const batch of spool.peek(REPLAY_MAX_RECORDS)) {
    if (batch.inFlight) break;
    if (taken.length > 0 && (records + batch.count > REPLAY_MAX_RECORDS || bytes + batch.length > maxBytes)) break;
    taken.push(batch);
    records += batch.count;
    bytes += batch.length;
  }
  return taken;
}

const toSpoolRecord = (record: OutgoingRecord): SpoolRecord => ({ key: String(record.key), value: String(record.value) });

function settleWithin(promise: Promise<unknown>, ms: number): Promise<'acked' | 'failed' | 'timeout'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), ms);
    promise.then(
      () => (clearTimeout(timer), resolve('acked')),
      () => (clearTimeout(timer), resolve('failed')),
    );
  });
}
