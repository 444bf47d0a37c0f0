import type { HeldItem, Metrics } from '@mmp/common';
import type { RawInput } from '../consumer/raw-input';
import { AttributedWriter } from '../producer/attributed.writer';
import type { Decider } from './decider';

/**
 * The drainer's work for one partition: due installs, in-app events and sessions, in
 * received_at order, decided and written to events.attributed.v1. The drainer removes
 * them only after this resolves, that is after Kafka acknowledged the attributed events.
 */
export function decideHeld(decider: Decider, writer: AttributedWriter, metrics: Metrics) {
  return async (_partition: number, items: HeldItem[]): Promise<void> => {
    const events = items.map((item) => JSON.parse(item.payload) as RawInput);
    const decided = await decider.decide(events);
    await writer.write(decided.map(({ event, decision }) => AttributedWriter.attributed(event, decision)));
    const now = Date.now();
    let longestWait = -1;
    for (const event of events)
      if (event.type === 'install') longestWait = Math.max(longestWait, now - Date.parse(event.received_at));
    if (longestWait >= 0) metrics.gauge('attribution.install_wait_ms', longestWait);
  };
}
