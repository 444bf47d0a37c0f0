import { toMicros } from './micros';

/** The fields of an attributed event (contracts §4) that counting reads. */
export interface CountableEvent {
  event_id: string;
  app_id: string;
  type: string;
  event_time: string;
  click?: { media_source: string; campaign: string | null } | null;
  attribution?: { media_source: string; campaign: string | null; install_time?: string | null } | null;
  is_reinstall?: boolean | null;
  revenue?: number | null;
  currency?: string | null;
}

export const METRICS = ['impressions', 'clicks', 'installs', 'in_app_events'] as const;
export type Metric = (typeof METRICS)[number];

/** Where one counted event lands: one cell (app, UTC day, media source, campaign), one metric, maybe revenue. */
export interface CounterDelta {
  appId: string;
  eventId: string;
  /** UTC day, YYYY-MM-DD. */
  day: string;
  mediaSource: string;
  campaign: string | null;
  metric: Metric;
  revenue?: { currency: string; micros: bigint };
}

export type Counting =
  | { kind: 'count'; delta: CounterDelta }
  /** Counts nothing by the rules (sessions, reinstalls). */
  | { kind: 'none' }
  /** Cannot be counted: the message breaks the contract. */
  | { kind: 'invalid'; reason: string };

const NONE: Counting = Object.freeze({ kind: 'none' });

/** The UTC day of an ISO 8601 instant ("2026-11-22T10:00:00.000Z" is "2026-11-22"). */
export const dayOf = (instant: string): string => instant.slice(0, 10);

/**
 * Contracts §7: impressions and clicks count by their own day, media source and campaign;
 * installs (not reinstalls) by install day under their attribution; in-app events and
 * their revenue (per currency) by event day under the install's attribution; sessions
 * count nothing.
 */
export function countingOf(event: CountableEvent): Counting {
  const base = { appId: event.app_id, eventId: event.event_id };
  switch (event.type) {
    case 'impression':
    case 'click': {
      if (!event.click) return { kind: 'invalid', reason: `${event.type} without its click fields` };
      return {
        kind: 'count',
        delta: {
          ...base,
          day: dayOf(event.event_time),
          mediaSource: event.click.media_source,
          campaign: event.click.campaign,
          metric: event.type === 'click' ? 'clicks' : 'impressions',
        },
      };
    }
    case 'install': {
      if (!event.attribution) return { kind: 'invalid', reason: 'install without attribution' };
      if (event.is_reinstall === true) return NONE;
      return {
        kind: 'count',
        delta: {
          ...base,
          day: dayOf(event.attribution.install_time ?? event.event_time),
          mediaSource: event.attribution.media_source,
          campaign: event.attribution.campaign,
          metric: 'installs',
        },
      };
    }
    case 'in_app_event': {
      if (!event.attribution) return { kind: 'invalid', reason: 'in_app_event without attribution' };
      const delta: CounterDelta = {
        ...base,
        day: dayOf(event.event_time),
        mediaSource: event.attribution.media_source,
        campaign: event.attribution.campaign,
        metric: 'in_app_events',
      };
      if (event.revenue !== null && event.revenue !== undefined) {
        if (!event.currency) return { kind: 'invalid', reason: 'revenue without currency' };
        delta.revenue = { currency: event.currency, micros: toMicros(event.revenue) };
      }
      return { kind: 'count', delta };
    }
    case 'session':
      return NONE;
    default:
      return { kind: 'invalid', reason: `unknown event type ${event.type}` };
  }
}
