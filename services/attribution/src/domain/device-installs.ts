import { organicAttribution, type Attribution } from './attribution';
import { DAY_MS, type AppWindows } from './windows';

/** An install that counted (not a reinstall) for one (app, advertising id): it opens a re-attribution window. */
export interface CountedInstall {
  eventId: string;
  eventTimeMs: number;
  attribution: Attribution;
}

/**
 * The counted install whose window covers a time: the latest one at or before it. A time
 * before every counted install (a device clock set back) falls to the earliest one.
 */
export function anchorOf(timeMs: number, counted: readonly CountedInstall[]): CountedInstall | null {
  let atOrBefore: CountedInstall | null = null;
  let earliest: CountedInstall | null = null;
  for (const install of counted) {
    if (install.eventTimeMs <= timeMs && (atOrBefore === null || laterInstall(install, atOrBefore))) atOrBefore = install;
    if (earliest === null || laterInstall(earliest, install)) earliest = install;
  }
  return atOrBefore ?? earliest;
}

const laterInstall = (a: CountedInstall, b: CountedInstall): boolean =>
  a.eventTimeMs !== b.eventTimeMs ? a.eventTimeMs > b.eventTimeMs : a.eventId > b.eventId;

/**
 * Contracts §5: the first install of an (app, advertising id) counts; a later one within
 * `reattribution_window_days` of the counted install before it is a reinstall; one past
 * the window counts again and opens a new window. Without an advertising id there is no
 * device to recognise: every install counts (deduplicated by event_id elsewhere).
 */
export function isReinstall(
  install: { eventId: string; eventTimeMs: number; advertisingId: string | null },
  counted: readonly CountedInstall[],
  windows: AppWindows,
): boolean {
  if (install.advertisingId === null) return false;
  if (counted.some((known) => known.eventId === install.eventId)) return false;
  const anchor = anchorOf(install.eventTimeMs, counted);
  if (anchor === null) return false;
  return Math.abs(install.eventTimeMs - anchor.eventTimeMs) <= windows.reattributionWindowDays * DAY_MS;
}

/**
 * Contracts §5: an in-app event or session carries the attribution of its device's latest
 * counted install (the latest at or before the event); no known install, or no
 * advertising id to know the device by: organic.
 */
export function inheritedAttribution(
  event: { eventTimeMs: number; advertisingId: string | null },
  counted: readonly CountedInstall[],
): Attribution {
  if (event.advertisingId === null) return organicAttribution(null);
  return anchorOf(event.eventTimeMs, counted)?.attribution ?? organicAttribution(null);
}
