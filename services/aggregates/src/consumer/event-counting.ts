import { deadLetter, dependencyDown, ok, type Message, type Metrics, type Outcome } from '@mmp/common';
import { countingOf, type CounterDelta } from '../domain/counting';
import type { CountersStore } from '../store/counters.store';
import type { CountedEvent } from './counted-event.schema';

/**
 * One slice of events.attributed.v1 into the counters. The store counts each event_id
 * once, so a slice handed again after a crash, a rebalance or a replay adds nothing twice.
 * Throws only when Redis is down: the consumer then pauses the partition and retries.
 */
export class EventCounting {
  constructor(
    private readonly store: CountersStore,
    private readonly metrics: Metrics,
  ) {}

  async handle(messages: readonly Message<CountedEvent>[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    const byApp = new Map<string, CounterDelta[]>();
    for (const message of messages) {
      const counting = countingOf(message.value);
      if (counting.kind === 'invalid') {
        outcomes.push(deadLetter(counting.reason));
      } else if (counting.kind === 'none') {
        outcomes.push(ok);
      } else if (!this.store.isWithinRetention(counting.delta.day)) {
        // Its counted-ids set is gone or about to go: counting it could not be exactly once.
        outcomes.push(deadLetter(`day ${counting.delta.day} is older than the counted-ids retention`));
      } else {
        outcomes.push(ok);
        const deltas = byApp.get(counting.delta.appId) ?? [];
        deltas.push(counting.delta);
        byApp.set(counting.delta.appId, deltas);
      }
    }
    // One app's keys share a hash slot; different apps go in parallel.
    const counted = await Promise.all([...byApp].map(([appId, deltas]) => this.store.count(appId, deltas).catch(asOutage)));
    const submitted = [...byApp.values()].reduce((sum, deltas) => sum + deltas.length, 0);
    const fresh = counted.reduce((sum, value) => sum + value, 0);
    if (fresh > 0) this.metrics.increment('aggregates.counted', fresh);
    if (submitted > fresh) this.metrics.increment('aggregates.already_counted', submitted - fresh);
    return outcomes;
  }
}

/** Redis answers these while it cannot serve for a while (loading, a long script, failover, memory): retry, do not dead-letter. */
const TRANSIENT_REPLIES = /^(LOADING|BUSY|OOM|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN|NOREPLICAS)\b/;

function asOutage(error: unknown): never {
  if (error instanceof Error && TRANSIENT_REPLIES.test(error.message)) throw dependencyDown('redis', error);
  throw error;
}
