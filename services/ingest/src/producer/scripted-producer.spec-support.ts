import type { OutgoingRecord, StreamProducer } from '@mmp/common';

interface PendingSend {
  records: OutgoingRecord[];
  ack(): void;
  fail(error: Error): void;
}

/**
 * A StreamProducer for unit specs of our own classes: it holds each send until the spec
 * answers it, so the specs decide what Kafka does and when. Integration tests use the real broker.
 */
export class ScriptedProducer implements StreamProducer {
  readonly sends: PendingSend[] = [];
  /** Answer every send at once (true: ack, an Error: fail with it). */
  autoAnswer?: true | Error;
  connectError?: Error;
  /** With autoAnswer: an error for the sends it picks (answered with it instead of an ack). */
  refuse?(records: OutgoingRecord[]): Error | undefined;

  async connect(): Promise<void> {
    if (this.connectError) throw this.connectError;
  }

  send(_topic: string, records: OutgoingRecord[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const pending = { records, ack: () => resolve(), fail: (error: Error) => reject(error) };
      this.sends.push(pending);
      const refusal = this.autoAnswer ? this.refuse?.(records) : undefined;
      if (refusal) pending.fail(refusal);
      else if (this.autoAnswer === true) pending.ack();
      else if (this.autoAnswer) pending.fail(this.autoAnswer);
    });
  }

  async disconnect(): Promise<void> {}

  /** Values of every record sent so far, in send order. */
  sentValues(): string[] {
    return this.sends.flatMap((send) => send.records.map((record) => String(record.value)));
  }
}
