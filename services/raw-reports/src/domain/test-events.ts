import type { AttributedEvent } from '@mmp/common';

type Event = AttributedEvent;

/** An attributed event of contracts §4 for specs, with the fields a test cares about overridden. */
export function attributedEvent(overrides: Partial<Event> = {}): Event {
  const type = overrides.type ?? 'install';
  const touch = type === 'click' || type === 'impression';
  return {
    schema: 'mmp.event/1',
    event_id: 'evt_00000001',
    app_id: 'com.example.game',
    type,
    event_time: '2026-11-22T10:00:00.000Z',
    received_at: '2026-11-22T10:00:00.100Z',
    ip: '203.0.113.7',
    user_agent: 'Mozilla/5.0 (Linux; Android 14) "quoted", with comma',
    device: { platform: 'android', advertising_id: 'gaid-1' },
    ...(touch
      ? { click: { media_source: 'net', campaign: 'c1', adset: null, ad: null, site_id: 's1', click_id: 'ck1' } }
      : {
          attribution: {
            media_source: 'net',
            campaign: 'c1',
            adset: 'as',
            ad: null,
            site_id: null,
            match_type: 'id_matching',
            touch_type: 'click',
            touch_time: '2026-11-22T09:00:00.000Z',
            install_time: '2026-11-22T10:00:00.000Z',
          },
        }),
    ...(type === 'install' ? { is_reinstall: false } : {}),
    event_name: type === 'in_app_event' ? 'purchase' : null,
    revenue: type === 'in_app_event' ? 4.99 : null,
    currency: type === 'in_app_event' ? 'USD' : null,
    app_version: '1.2.3',
    customer_user_id: null,
    ...overrides,
  } as Event;
}
