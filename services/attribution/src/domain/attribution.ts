import type { MatchType, TouchDecision } from './last-touch';

/** Contracts §4: the `attribution` object of an attributed install, in-app event or session. */
export interface Attribution {
  media_source: string;
  campaign: string | null;
  adset: string | null;
  ad: string | null;
  site_id: string | null;
  match_type: MatchType;
  touch_type: 'click' | 'impression' | null;
  touch_time: string | null;
  install_time: string | null;
}

/** The attribution an install carries: its winning touch's link fields, or organic. */
export function attributionOf(decision: TouchDecision, installTimeMs: number): Attribution {
  const install_time = new Date(installTimeMs).toISOString();
  if (decision.touch === null) return organicAttribution(install_time);
  const { source } = decision.touch;
  return {
    media_source: source.media_source,
    campaign: source.campaign,
    adset: source.adset,
    ad: source.ad,
    site_id: source.site_id,
    match_type: decision.matchType,
    touch_type: decision.touchType,
    touch_time: new Date(decision.touch.eventTimeMs).toISOString(),
    install_time,
  };
}

export function organicAttribution(installTime: string | null): Attribution {
  return {
    media_source: 'organic',
    campaign: null,
    adset: null,
    ad: null,
    site_id: null,
    match_type: 'organic',
    touch_type: null,
    touch_time: null,
    install_time: installTime,
  };
}
