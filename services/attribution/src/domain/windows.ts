/** Contracts §2: an app's attribution windows. A window of 0 hours turns its rule off. */
export interface AppWindows {
  clickLookbackHours: number;
  probabilisticLookbackHours: number;
  viewThroughLookbackHours: number;
  reattributionWindowDays: number;
}

export const DEFAULT_WINDOWS: AppWindows = Object.freeze({
  clickLookbackHours: 168,
  probabilisticLookbackHours: 24,
  viewThroughLookbackHours: 24,
  reattributionWindowDays: 90,
});

/** The registry's fields (snake_case, each optional) with the contract's defaults. */
export interface AppWindowFields {
  click_lookback_hours?: number | null;
  probabilistic_lookback_hours?: number | null;
  view_through_lookback_hours?: number | null;
  reattribution_window_days?: number | null;
}

export function windowsOf(app: AppWindowFields | undefined): AppWindows {
  return {
    clickLookbackHours: app?.click_lookback_hours ?? DEFAULT_WINDOWS.clickLookbackHours,
    probabilisticLookbackHours: app?.probabilistic_lookback_hours ?? DEFAULT_WINDOWS.probabilisticLookbackHours,
    viewThroughLookbackHours: app?.view_through_lookback_hours ?? DEFAULT_WINDOWS.viewThroughLookbackHours,
    reattributionWindowDays: app?.reattribution_window_days ?? DEFAULT_WINDOWS.reattributionWindowDays,
  };
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** How long a touch can still win an install: the longest of the windows it can match under. */
export function touchRetentionMs(windows: AppWindows, type: 'click' | 'impression'): number {
  const hours =
    type === 'click'
      ? Math.max(windows.clickLookbackHours, windows.probabilisticLookbackHours)
      : windows.viewThroughLookbackHours;
  return hours * HOUR_MS;
}
