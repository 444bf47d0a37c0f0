import { HOUR_MS, type AppWindows } from './windows';

/** The link fields a touch carries to the installs it wins (contracts §4 `click`). */
export interface TouchSource {
  media_source: string;
  campaign: string | null;
  adset: string | null;
  ad: string | null;
  site_id: string | null;
}

/** A click or impression, reduced to what attribution needs. */
export interface Touch {
  eventId: string;
  appId: string;
  type: 'click' | 'impression';
  eventTimeMs: number;
  receivedAtMs: number;
  advertisingId: string | null;
  ip: string | null;
  userAgent: string | null;
  source: TouchSource;
}

/** What of an install decides which touch wins it. */
export interface InstallFacts {
  appId: string;
  eventTimeMs: number;
  advertisingId: string | null;
  ip: string | null;
  userAgent: string | null;
}

export type MatchType = 'id_matching' | 'probabilistic' | 'organic';

export type TouchDecision =
  | { matchType: 'id_matching' | 'probabilistic'; touchType: 'click' | 'impression'; touch: Touch }
  | { matchType: 'organic'; touchType: null; touch: null };

export const ORGANIC: TouchDecision = Object.freeze({ matchType: 'organic', touchType: null, touch: null });

interface Rule {
  matchType: 'id_matching' | 'probabilistic';
  type: Touch['type'];
  hours: (windows: AppWindows) => number;
  matches: (touch: Touch, install: InstallFacts) => boolean;
}

const sameAdvertisingId = (touch: Touch, install: InstallFacts): boolean =>
  install.advertisingId !== null && touch.advertisingId === install.advertisingId;

/** Contracts §5, in order: the first rule with an eligible touch decides. */
const RULES: readonly Rule[] = [
  { matchType: 'id_matching', type: 'click', hours: (w) => w.clickLookbackHours, matches: sameAdvertisingId },
  {
    matchType: 'probabilistic',
    type: 'click',
    hours: (w) => w.probabilisticLookbackHours,
    // Both sides must carry the fields: two unknown user agents are no evidence of one device.
    matches: (touch, install) =>
      install.ip !== null && install.userAgent !== null && touch.ip === install.ip && touch.userAgent === install.userAgent,
  },
  // View-through: impressions match only by advertising id, never probabilistically.
  { matchType: 'id_matching', type: 'impression', hours: (w) => w.viewThroughLookbackHours, matches: sameAdvertisingId },
];

/**
 * Last touch wins: the latest event_time; ties go to the one received last. The event_id
 * breaks what is left, so the answer never depends on the order candidates come in.
 */
export function isLaterTouch(a: Touch, b: Touch): boolean {
  if (a.eventTimeMs !== b.eventTimeMs) return a.eventTimeMs > b.eventTimeMs;
  if (a.receivedAtMs !== b.receivedAtMs) return a.receivedAtMs > b.receivedAtMs;
  return a.eventId > b.eventId;
}

/** Is the touch inside the window: at most the install's time, and at most `hours` before it (both edges inclusive). */
export function withinWindow(touchTimeMs: number, installTimeMs: number, hours: number): boolean {
  const before = installTimeMs - touchTimeMs;
  return hours > 0 && before >= 0 && before <= hours * HOUR_MS;
}

/** Contracts §5: which touch, if any, an install is attributed to, given the touches known and the app's windows. */
export function decideInstall(install: InstallFacts, candidates: readonly Touch[], windows: AppWindows): TouchDecision {
  for (const rule of RULES) {
    const hours = rule.hours(windows);
    let best: Touch | null = null;
    for (const touch of candidates) {
      if (touch.type !== rule.type || touch.appId !== install.appId) continue;
      if (!withinWindow(touch.eventTimeMs, install.eventTimeMs, hours) || !rule.matches(touch, install)) continue;
      if (best === null || isLaterTouch(touch, best)) best = touch;
    }
    if (best) return { matchType: rule.matchType, touchType: rule.type, touch: best };
  }
  return ORGANIC;
}
