/** Contracts §3: events older than 30 days are rejected, so an event_id needs remembering only that long. */
export const EVENT_TIME_PAST_MS = 30 * 24 * 3600_000;
export const EVENT_TIME_FUTURE_MS = 10 * 60_000;
/** Clocks drift; keep the mark a little past the moment the event would be refused anyway. */
export const DEDUPE_MARGIN_MS = 10 * 60_000;

/**
 * When an event_id may be forgotten (epoch ms): once its event_time is past the 30-day
 * window, a repeat is refused by validation, so the mark is no longer needed.
 */
export function dedupeExpiresAt(eventTimeMs: number): number {
  return eventTimeMs + EVENT_TIME_PAST_MS + DEDUPE_MARGIN_MS;
}
