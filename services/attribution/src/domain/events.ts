import type { InstallFacts, Touch } from './last-touch';

/** The fields of a raw event (contracts §4) that attribution reads. */
export interface RawFields {
  event_id: string;
  app_id: string;
  type: string;
  event_time: string;
  received_at: string;
  ip: string | null;
  user_agent: string | null;
  device: { advertising_id?: string | null };
  click?: { media_source: string; campaign: string | null; adset: string | null; ad: string | null; site_id: string | null };
}

export const isTouch = (event: RawFields): boolean => event.type === 'click' || event.type === 'impression';

export function touchOf(event: RawFields): Touch {
  const click = event.click;
  return {
    eventId: event.event_id,
    appId: event.app_id,
    type: event.type === 'impression' ? 'impression' : 'click',
    eventTimeMs: Date.parse(event.event_time),
    receivedAtMs: Date.parse(event.received_at),
    advertisingId: event.device.advertising_id ?? null,
    ip: event.ip,
    userAgent: event.user_agent,
    source: {
      media_source: click?.media_source ?? 'unknown',
      campaign: click?.campaign ?? null,
      adset: click?.adset ?? null,
      ad: click?.ad ?? null,
      site_id: click?.site_id ?? null,
    },
  };
}

export function installFactsOf(event: RawFields): InstallFacts {
  return {
    appId: event.app_id,
    eventTimeMs: Date.parse(event.event_time),
    advertisingId: event.device.advertising_id ?? null,
    ip: event.ip,
    userAgent: event.user_agent,
  };
}

/**
 * Contracts §5: an event is late when the group's watermark had already passed its
 * received_at plus the grace before it was consumed: installs decided before it could not
 * see it, and it is handled with what is known now.
 */
export function isLate(receivedAtMs: number, lowWatermarkMs: number | null, graceMs: number): boolean {
  return lowWatermarkMs !== null && lowWatermarkMs >= receivedAtMs + graceMs;
}
