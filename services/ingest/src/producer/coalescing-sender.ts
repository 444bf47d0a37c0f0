import type { OutgoingRecord, StreamProducer } from '@mmp/common';

interface Waiting {
  records: OutgoingRecord[];
  resolve(): void;
  reject(error: Error): void;
}

export interface CoalescingSenderOptions {
  topic: string;
  /** Sends under way at once; requests arriving meanwhile wait and go out together in the next one. */
  maxInFlight?: number;
  /** Upper bound of one send, in records. */
  maxRecords?: number;
  /** Called with the duration of every send that was acknowledged. */
  onSent?(ms: number, records: number): void;
}

/**
 * Joins the records of concurrent requests into one producer send. Under load each send
 * carries many requests' events (one round trip to the broker instead of many); when
 * idle, a request goes out at once.
 */
export class CoalescingSender {
  private waiting: Waiting[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxInFlight: number;
  private readonly maxRecords: number;

  constructor(
    private readonly producer: StreamProducer,
    private readonly options: CoalescingSenderOptions,
  ) {
    this.maxInFlight = options.maxInFlight ?? 4;
    this.maxRecords = options.maxRecords ?? 10_000;
  }

  send(records: OutgoingRecord[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ records, resolve, reject });
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
      let take = 0;
      while (take < this.waiting.length && (take === 0 || count + this.waiting[take].records.length <= this.maxRecords)) {
        count += this.waiting[take].records.length;
        take++;
      }
      const group = this.waiting.splice(0, take);
      const records = group.length === 1 ? group[0].records : group.flatMap((waiting) => waiting.records);
      this.inFlight++;
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
