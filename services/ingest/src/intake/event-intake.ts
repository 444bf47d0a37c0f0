import { eventKey, type AppRecord, type AppsRegistry, type Logger, type Metrics, type OutgoingRecord } from '@mmp/common';
import { timingSafeEqual } from 'node:crypto';
import { dedupeExpiresAt } from '../domain/dedupe-expiry';
import { validateBatch, type AcceptedEvent, type IntakeContext } from '../domain/event-validation';
import { RecordTooLargeError, UnavailableError, type EventWriter } from '../producer/event-writer';
import { ClaimOutcome, type EventIdDedupe } from '../store/event-id-dedupe';

export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** How long a request waits for another request that holds a claim on one of its event_ids. */
const CLAIM_WAIT_MS = 5000;
const UNAVAILABLE: Answer = { status: 503, body: { error: 'unavailable' } };
/** An event bigger than Kafka takes in one message can never be delivered: refused before the 202, not jammed in the spool. */
const TOO_LARGE: Answer = {
  status: 413,
  body: { error: 'event_too_large', message: 'an event is larger than the stream accepts in one message' },
};

/** Contracts §3, POST /v1/apps/:appId/events: authenticate, validate, deduplicate, write durably, answer. */
export class EventIntake {
  private readonly confirming = new Set<Promise<void>>();

  constructor(
    private readonly apps: AppsRegistry,
    private readonly dedupe: EventIdDedupe,
    private readonly writer: EventWriter,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

  /** Waits for the confirmations still under way (at shutdown, before Redis closes). */
  async drain(): Promise<void> {
    await Promise.all([...this.confirming]);
  }

  async ingest(
    appId: string,
    sdkKey: string | undefined,
    body: unknown,
    request: Omit<IntakeContext, 'appId' | 'now'>,
  ): Promise<Answer> {
    const app = this.apps.get(appId);
    if (!app) return { status: 404, body: { error: 'not_found', message: 'unknown app' } };
    if (!sdkKey) return { status: 401, body: { error: 'unauthorized', message: 'X-Sdk-Key is required' } };
    if (!keyMatches(app, sdkKey)) return { status: 401, body: { error: 'unauthorized', message: 'wrong X-Sdk-Key' } };

    const validation = validateBatch(body, { appId, now: Date.now(), ...request });
    if (!validation.ok) {
      this.metrics.increment('events.rejected', validation.submitted, { app: appId });
      return { status: 400, body: { error: 'invalid_events', details: validation.issues } };
    }

    const unique = new Map<string, AcceptedEvent>();
    for (const accepted of validation.events)
      if (!unique.has(accepted.event.event_id)) unique.set(accepted.event.event_id, accepted);
    const repeatedInBatch = validation.events.length - unique.size;

    let claim;
    try {
      claim = await this.claim(appId, [...unique.keys()]);
    } catch (error) {
      this.logger.warn({ err: (error as Error).message, app: appId }, 'deduplication unavailable');
      return UNAVAILABLE;
    }
    if (!claim) return UNAVAILABLE;

    const fresh: AcceptedEvent[] = [];
    const keys: string[] = [];
    const expiries: number[] = [];
    let seen = 0;
    let index = 0;
    for (const accepted of unique.values()) {
      if (claim.outcomes[index] === ClaimOutcome.Claimed) {
        fresh.push(accepted);
        keys.push(claim.keys[index]);
        expiries.push(dedupeExpiresAt(accepted.eventTimeMs));
      } else {
        seen++;
      }
      index++;
    }

    if (fresh.length > 0) {
      // Stamped after the claim (which may wait for another request), right before the write:
      // the later the stamp, the fewer events reach the stream past contracts §5's grace.
      const receivedAt = new Date().toISOString();
      const records: OutgoingRecord[] = fresh.map(({ event }) => {
        event.received_at = receivedAt;
        return { key: eventKey(event), value: JSON.stringify(event) };
      });
      if (!this.writer.producible(records)) {
        await this.dedupe.release(claim.token, keys).catch(() => undefined);
        this.metrics.increment('events.rejected', validation.events.length, { app: appId });
        return TOO_LARGE;
      }
      try {
        await this.writer.write(records);
      } catch (error) {
        await this.dedupe.release(claim.token, keys).catch(() => undefined);
        if (error instanceof RecordTooLargeError) return TOO_LARGE;
        if (!(error instanceof UnavailableError)) this.logger.error({ err: error, app: appId }, 'event write failed');
        return UNAVAILABLE;
      }
      // The events are durable now, so the answer need not wait for the confirmation: until it lands, the claim
      // makes a repeat wait, and a lost one only lets the claims lapse so a retry is written again.
      const confirming = this.dedupe
        .confirm(keys, expiries)
        .catch((error) => this.logger.warn({ err: (error as Error).message, app: appId }, 'could not mark event_ids seen'))
        .finally(() => this.confirming.delete(confirming));
      this.confirming.add(confirming);
    }

    const duplicates = seen + repeatedInBatch;
    if (fresh.length > 0) this.metrics.increment('events.accepted', fresh.length, { app: appId });
    if (duplicates > 0) this.metrics.increment('events.duplicates', duplicates, { app: appId });
    return { status: 202, body: { accepted: fresh.length, duplicates } };
  }

  /** Claims the ids; waits while another request holds some of them, since that write may still fail and be released. */
  private async claim(appId: string, eventIds: string[]) {
    const deadline = Date.now() + CLAIM_WAIT_MS;
    let claim = await this.dedupe.claim(appId, eventIds);
    while (claim.outcomes.includes(ClaimOutcome.ClaimedElsewhere)) {
      if (Date.now() > deadline) {
        await this.dedupe.release(
          claim.token,
          claim.keys.filter((_, i) => claim.outcomes[i] === ClaimOutcome.Claimed),
        );
        return undefined;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
      claim = await this.dedupe.claim(appId, eventIds, claim.token);
    }
    return claim;
  }
}

function keyMatches(app: AppRecord, given: string): boolean {
  const expected = Buffer.from(app.sdk_key);
  const actual = Buffer.from(given);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
