import type { RedisClient } from '@mmp/common';
import type { Attribution } from '../domain/attribution';

/** What was decided for one install, in-app event or session: reused as is on redelivery and replay. */
export interface Decision {
  attribution: Attribution;
  /** Installs only. */
  isReinstall?: boolean;
}

/**
 * Decisions by (app, event_id). The first written wins (SET NX GET): a member that
 * decided the same event a moment later adopts the stored answer instead of its own.
 */
export class DecisionStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly ttlMs: number,
  ) {}

  keyOf(appId: string, eventId: string): string {
    return `${this.prefix}:{${appId}:${eventId}}:decision`;
  }

  async load(events: readonly { app_id: string; event_id: string }[]): Promise<(Decision | null)[]> {
    const values = await Promise.all(events.map((event) => this.redis.get(this.keyOf(event.app_id, event.event_id))));
    return values.map((value) => (value === null ? null : (JSON.parse(value) as Decision)));
  }

  /** Stores each decision unless one exists; returns the decision in force for each. */
  async settle(entries: readonly { appId: string; eventId: string; decision: Decision }[]): Promise<Decision[]> {
    const previous = await Promise.all(
      entries.map(({ appId, eventId, decision }) =>
        this.redis.set(this.keyOf(appId, eventId), JSON.stringify(decision), { NX: true, GET: true, PX: this.ttlMs }),
      ),
    );
    return entries.map((entry, index) => {
      const stored = previous[index];
      return stored === null || stored === undefined ? entry.decision : (JSON.parse(stored) as Decision);
    });
  }
}
