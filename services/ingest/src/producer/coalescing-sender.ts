import type { OutgoingRecord, StreamProducer } from '@mmp/common';
import { SendBudget, type Chunk } from '@mmp/common';

interface Waiting extends Chunk {
  started?(): void;
  resolve(): void;
  reject(error: Error): void;
}

/** A request still waiting in the queue when the writer turned to the spool: it never reached the producer. */
export class DivertedError extends Error {
  constructor() {
    super('diverted before it was sent');
    this.name = 'DivertedError';
  }
}

export interface CoalescingSenderOptions {
  topic: string;
  /** Sends under way at once; requests arriving meanwhile wait and go out together in the next one. */
  maxInFlight?: number;
  /** Upper bounds of one send, in bytes (the broker's limit) and records. */
  budget?: SendBudget;
  /** Called with the duration of every send that was acknowledged. */
  onSent?(ms: number, records: number): void;
}

/**
 * Joins the records of concurrent requests into one producer send. Under load each send
 * carries many requests' events (one round trip to the broker instead of many); when
 * idle, a request goes out at once. No send passes the budget: a request too big for
 * one goes out in several, each after the one before it is acknowledged, so its records
 * keep their order.
 */
export class CoalescingSender {
  private waiting: Waiting[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxInFlight: number;
  private readonly budget: SendBudget;

  constructor(
    private readonly producer: StreamProducer,
    private readonly options: CoalescingSenderOptions,
  ) {
    this.maxInFlight = options.maxInFlight ?? 4;
    this.budget = options.budget ?? new SendBudget();
  }

  /**
   * Resolves once every record is acknowledged. `started` is called when the first of them
   * leaves the queue for the producer: the time before that is queueing, not Kafka's.
   */
  async send(records: OutgoingRecord[], started?: () => void): Promise<void> {
    const chunks = this.budget.split(records);
    for (let i = 0; i < chunks.length; i++) await this.enqueue(chunks[i], i === 0 ? started : undefined);
  }

  /** Fails every request that has not reached the producer yet with DivertedError. */
  divertWaiting(): void {
    const diverted = this.waiting;
    this.waiting = [];
    for (const waiting of diverted) waiting.reject(new DivertedError());
  }

  private enqueue(chunk: Chunk, started?: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ ...chunk, started, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // Requests parsed in the same turn of the event loop join the same send.
        setImmediate(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    while (this.waiting.length > 0 && this.inFlight < this.maxInFlight) {
      let count = 0;
      let bytes = 0;
      let take = 0;
      while (take < this.waiting.length) {
        const next = this.waiting[take];
        if (take > 0 && (count + next.records.length > this.budget.records || bytes + next.bytes > this.budget.bytes)) break;
        count += next.records.length;
        bytes += next.bytes;
        take++;
      }
      const group = this.waiting.splice(0, take);
      const records = group.length === 1 ? group[0].records : group.flatMap((waiting) => waiting.records);
      this.inFlight++;
      for (const waiting of group) waiting.started?.();
      const started = performance.now();
      this.producer
        .send(this.options.topic, records)
        .then(
          () => {
            this.options.onSent?.(performance.now() - started, records.length);
            for (const waiting of group) waiting.resolve();
          },
          (error: Error) => {
            for (const waiting of group) waiting.reject(error);
          },
        )
        .finally(() => {
          this.inFlight--;
          this.flush();
        });
    }
  }
}
