import { eventKey, TOPICS, type OutgoingRecord, type StreamProducer } from '@mmp/common';
import type { RawFields } from '../domain/events';
import type { Decision } from '../store/decision.store';

/**
 * Writes to events.attributed.v1 (contracts §4), keyed like the raw topic. Clicks and
 * impressions go as they came; installs, in-app events and sessions with their decision.
 */
export class AttributedWriter {
  constructor(
    private readonly producer: StreamProducer,
    private readonly topic: string = TOPICS.attributed,
  ) {}

  /** Resolves once every record is acknowledged by all in-sync replicas. */
  async write(records: OutgoingRecord[]): Promise<void> {
    if (records.length > 0) await this.producer.send(this.topic, records);
  }

  /** A touch, byte for byte. */
  static unchanged(
    event: RawFields & { ip: string | null; device: { advertising_id?: string | null } },
    bytes: Buffer,
  ): OutgoingRecord {
    return { key: eventKey(event as never), value: bytes };
  }

  static attributed<E extends RawFields>(event: E, decision: Decision): OutgoingRecord {
    const value =
      event.type === 'install'
        ? { ...event, attribution: decision.attribution, is_reinstall: decision.isReinstall ?? false }
        : { ...event, attribution: decision.attribution };
    return { key: eventKey(event as never), value: JSON.stringify(value) };
  }
}
