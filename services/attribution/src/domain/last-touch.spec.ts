import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { attributionOf } from './attribution';
import { decideInstall, isLaterTouch, ORGANIC, withinWindow, type InstallFacts, type Touch } from './last-touch';
import { DEFAULT_WINDOWS, HOUR_MS, type AppWindows } from './windows';

const APP = 'com.example.game';
const INSTALL_AT = Date.parse('2026-11-22T10:00:00.000Z');
const AID = 'aid-1';
const IP = '203.0.113.7';
const UA = 'Mozilla/5.0 (Linux; Android 14)';

const install = (overrides: Partial<InstallFacts> = {}): InstallFacts => ({
  appId: APP,
  eventTimeMs: INSTALL_AT,
  advertisingId: AID,
  ip: IP,
  userAgent: UA,
  ...overrides,
});

let sequence = 0;
const touch = (overrides: Partial<Touch> = {}): Touch => {
  sequence += 1;
  const eventTimeMs = overrides.eventTimeMs ?? INSTALL_AT - HOUR_MS;
  return {
    eventId: `touch-${String(sequence).padStart(6, '0')}`,
    appId: APP,
    type: 'click',
    eventTimeMs,
    receivedAtMs: eventTimeMs + 5,
    advertisingId: AID,
    // Another network than the install's by default, so an id-matched click is not also a fingerprint match.
    ip: '198.51.100.9',
    userAgent: UA,
    source: { media_source: `source-${sequence}`, campaign: null, adset: null, ad: null, site_id: null },
    ...overrides,
  };
};
/** A click that can only match probabilistically: no advertising id. */
const probabilisticClick = (overrides: Partial<Touch> = {}) => touch({ advertisingId: null, ip: IP, ...overrides });
const impression = (overrides: Partial<Touch> = {}) => touch({ type: 'impression', ...overrides });

const windows = (overrides: Partial<AppWindows> = {}): AppWindows => ({ ...DEFAULT_WINDOWS, ...overrides });
const hoursBefore = (hours: number, extraMs = 0) => INSTALL_AT - hours * HOUR_MS - extraMs;

describe('decideInstall: window edges', () => {
  const cases: { name: string; make: (timeMs: number) => Touch; hours: number; matchType: string; touchType: string }[] = [
    {
      name: 'id-matched click',
      make: (t) => touch({ eventTimeMs: t }),
      hours: 168,
      matchType: 'id_matching',
      touchType: 'click',
    },
    {
      name: 'probabilistic click',
      make: (t) => probabilisticClick({ eventTimeMs: t }),
      hours: 24,
      matchType: 'probabilistic',
      touchType: 'click',
    },
    {
      name: 'impression (view-through)',
      make: (t) => impression({ eventTimeMs: t }),
      hours: 24,
      matchType: 'id_matching',
      touchType: 'impression',
    },
  ];
  for (const { name, make, hours, matchType, touchType } of cases) {
    it(`counts a ${name} exactly ${hours} h before the install`, () => {
      const candidate = make(hoursBefore(hours));
      const decision = decideInstall(install(), [candidate], DEFAULT_WINDOWS);
      assert.equal(decision.touch, candidate);
      assert.equal(decision.matchType, matchType);
      assert.equal(decision.touchType, touchType);
    });

    it(`ignores a ${name} ${hours} h and 1 ms before the install`, () => {
      assert.deepEqual(decideInstall(install(), [make(hoursBefore(hours, 1))], DEFAULT_WINDOWS), ORGANIC);
    });

    it(`counts a ${name} at the install's very millisecond`, () => {
      const candidate = make(INSTALL_AT);
      assert.equal(decideInstall(install(), [candidate], DEFAULT_WINDOWS).touch, candidate);
    });

    it(`ignores a ${name} 1 ms after the install`, () => {
      assert.deepEqual(decideInstall(install(), [make(INSTALL_AT + 1)], DEFAULT_WINDOWS), ORGANIC);
    });
  }

  it('follows the app window, not the default: click_lookback_hours 2', () => {
    const w = windows({ clickLookbackHours: 2 });
    assert.ok(decideInstall(install(), [touch({ eventTimeMs: hoursBefore(2) })], w).touch);
    assert.deepEqual(decideInstall(install(), [touch({ eventTimeMs: hoursBefore(2, 1) })], w), ORGANIC);
  });

  it('withinWindow is inclusive at both ends and closed for 0 hours', () => {
    assert.equal(withinWindow(INSTALL_AT, INSTALL_AT, 1), true);
    assert.equal(withinWindow(INSTALL_AT - HOUR_MS, INSTALL_AT, 1), true);
    assert.equal(withinWindow(INSTALL_AT - HOUR_MS - 1, INSTALL_AT, 1), false);
    assert.equal(withinWindow(INSTALL_AT + 1, INSTALL_AT, 1), false);
    assert.equal(withinWindow(INSTALL_AT, INSTALL_AT, 0), false);
  });
});

describe('decideInstall: precedence', () => {
  it('an id-matched click beats a later probabilistic click', () => {
    const idMatched = touch({ eventTimeMs: hoursBefore(5) });
    const later = probabilisticClick({ eventTimeMs: hoursBefore(1) });
    const decision = decideInstall(install(), [later, idMatched], DEFAULT_WINDOWS);
    assert.equal(decision.touch, idMatched);
    assert.equal(decision.matchType, 'id_matching');
  });

  it('an id-matched click beats a later click with the same ip and user agent but another advertising id', () => {
    const idMatched = touch({ eventTimeMs: hoursBefore(5) });
    const otherDevice = touch({ eventTimeMs: hoursBefore(1), advertisingId: 'aid-other', ip: IP });
    assert.equal(decideInstall(install(), [otherDevice, idMatched], DEFAULT_WINDOWS).touch, idMatched);
  });

  it('a probabilistic click beats a later impression', () => {
    const click = probabilisticClick({ eventTimeMs: hoursBefore(20) });
    const view = impression({ eventTimeMs: hoursBefore(1) });
    const decision = decideInstall(install(), [view, click], DEFAULT_WINDOWS);
    assert.equal(decision.touch, click);
    assert.equal(decision.matchType, 'probabilistic');
    assert.equal(decision.touchType, 'click');
  });

  it('an id-matched click beats a later impression', () => {
    const click = touch({ eventTimeMs: hoursBefore(100) });
    const view = impression({ eventTimeMs: INSTALL_AT });
    assert.equal(decideInstall(install(), [view, click], DEFAULT_WINDOWS).touch, click);
  });

  it('an impression wins only when no click is eligible', () => {
    const view = impression({ eventTimeMs: hoursBefore(3) });
    const stale = touch({ eventTimeMs: hoursBefore(168, 1) });
    const decision = decideInstall(install(), [stale, view], DEFAULT_WINDOWS);
    assert.equal(decision.touch, view);
    assert.equal(decision.touchType, 'impression');
    assert.equal(decision.matchType, 'id_matching');
  });

  it('a click with the advertising id, past click_lookback_hours but inside the probabilistic window, still wins by ip and user agent', () => {
    const w = windows({ clickLookbackHours: 1 });
    const click = touch({ eventTimeMs: hoursBefore(2), ip: IP });
    const decision = decideInstall(install(), [click], w);
    assert.equal(decision.touch, click);
    assert.equal(decision.matchType, 'probabilistic');
  });

  it('a click outside its window does not shadow a probabilistic one inside', () => {
    const w = windows({ clickLookbackHours: 1 });
    const tooOld = touch({ eventTimeMs: hoursBefore(2) });
    const fingerprint = probabilisticClick({ eventTimeMs: hoursBefore(3) });
    assert.equal(decideInstall(install(), [tooOld, fingerprint], w).touch, fingerprint);
  });
});

describe('decideInstall: view-through only by advertising id', () => {
  it('ignores an impression with the same ip and user agent but no advertising id', () => {
    assert.deepEqual(decideInstall(install(), [impression({ advertisingId: null })], DEFAULT_WINDOWS), ORGANIC);
  });

  it('ignores an impression with another advertising id', () => {
    assert.deepEqual(decideInstall(install(), [impression({ advertisingId: 'aid-2' })], DEFAULT_WINDOWS), ORGANIC);
  });

  it('ignores every impression for an install without an advertising id', () => {
    const candidates = [impression({ advertisingId: null }), impression()];
    assert.deepEqual(decideInstall(install({ advertisingId: null }), candidates, DEFAULT_WINDOWS), ORGANIC);
  });
});

describe('decideInstall: last touch and ties', () => {
  it('the latest eligible touch of the deciding rule wins', () => {
    const older = touch({ eventTimeMs: hoursBefore(10) });
    const latest = touch({ eventTimeMs: hoursBefore(2) });
    const middle = touch({ eventTimeMs: hoursBefore(5) });
    assert.equal(decideInstall(install(), [older, latest, middle], DEFAULT_WINDOWS).touch, latest);
  });

  it('on equal event_time the touch received last wins, whatever the order given', () => {
    const first = touch({ eventTimeMs: hoursBefore(1), receivedAtMs: hoursBefore(1) + 10 });
    const second = touch({ eventTimeMs: hoursBefore(1), receivedAtMs: hoursBefore(1) + 20 });
    assert.equal(decideInstall(install(), [first, second], DEFAULT_WINDOWS).touch, second);
    assert.equal(decideInstall(install(), [second, first], DEFAULT_WINDOWS).touch, second);
  });

  it('on equal event_time and received_at the event_id decides, so the order given never does', () => {
    const a = touch({ eventId: 'aaaaaaaa', eventTimeMs: hoursBefore(1), receivedAtMs: hoursBefore(1) });
    const b = touch({ eventId: 'bbbbbbbb', eventTimeMs: hoursBefore(1), receivedAtMs: hoursBefore(1) });
    assert.equal(decideInstall(install(), [a, b], DEFAULT_WINDOWS).touch, b);
    assert.equal(decideInstall(install(), [b, a], DEFAULT_WINDOWS).touch, b);
    assert.equal(isLaterTouch(b, a), true);
    assert.equal(isLaterTouch(a, b), false);
  });

  it('a touch received last but with an earlier event_time loses', () => {
    const earlierLateArrival = touch({ eventTimeMs: hoursBefore(3), receivedAtMs: INSTALL_AT });
    const later = touch({ eventTimeMs: hoursBefore(2), receivedAtMs: hoursBefore(2) });
    assert.equal(decideInstall(install(), [earlierLateArrival, later], DEFAULT_WINDOWS).touch, later);
  });
});

describe('decideInstall: windows set to 0', () => {
  it('probabilistic_lookback_hours 0 turns probabilistic matching off', () => {
    const w = windows({ probabilisticLookbackHours: 0 });
    assert.deepEqual(decideInstall(install(), [probabilisticClick({ eventTimeMs: INSTALL_AT })], w), ORGANIC);
    const view = impression();
    assert.equal(decideInstall(install(), [probabilisticClick(), view], w).touch, view);
  });

  it('probabilistic_lookback_hours 0 leaves id matching alone', () => {
    const click = touch({ eventTimeMs: hoursBefore(100) });
    assert.equal(decideInstall(install(), [click], windows({ probabilisticLookbackHours: 0 })).touch, click);
  });

  it('view_through_lookback_hours 0 turns view-through off', () => {
    const w = windows({ viewThroughLookbackHours: 0 });
    assert.deepEqual(decideInstall(install(), [impression({ eventTimeMs: INSTALL_AT })], w), ORGANIC);
    const click = probabilisticClick();
    assert.equal(decideInstall(install(), [impression(), click], w).touch, click);
  });
});

describe('decideInstall: probabilistic matching', () => {
  it('needs the same ip and the same user agent', () => {
    assert.deepEqual(decideInstall(install(), [probabilisticClick({ ip: '203.0.113.8' })], DEFAULT_WINDOWS), ORGANIC);
    assert.deepEqual(decideInstall(install(), [probabilisticClick({ userAgent: 'curl/8' })], DEFAULT_WINDOWS), ORGANIC);
  });

  it('never matches two unknown user agents', () => {
    const candidates = [probabilisticClick({ userAgent: null })];
    assert.deepEqual(decideInstall(install({ userAgent: null }), candidates, DEFAULT_WINDOWS), ORGANIC);
  });

  it('attributes an install without an advertising id by ip and user agent only', () => {
    const withId = touch({ eventTimeMs: hoursBefore(1), ip: IP });
    const decision = decideInstall(install({ advertisingId: null }), [withId], DEFAULT_WINDOWS);
    assert.equal(decision.touch, withId);
    assert.equal(decision.matchType, 'probabilistic');
  });

  it('an install without an advertising id and no fingerprint match is organic', () => {
    assert.deepEqual(decideInstall(install({ advertisingId: null, ip: '198.51.100.1' }), [touch()], DEFAULT_WINDOWS), ORGANIC);
  });
});

describe('decideInstall: organic', () => {
  it('no candidates at all', () => {
    assert.deepEqual(decideInstall(install(), [], DEFAULT_WINDOWS), ORGANIC);
  });

  it('touches of another app never count', () => {
    assert.deepEqual(decideInstall(install(), [touch({ appId: 'com.other' })], DEFAULT_WINDOWS), ORGANIC);
  });

  it('its attribution names organic, with no touch', () => {
    assert.deepEqual(attributionOf(ORGANIC, INSTALL_AT), {
      media_source: 'organic',
      campaign: null,
      adset: null,
      ad: null,
      site_id: null,
      match_type: 'organic',
      touch_type: null,
      touch_time: null,
      install_time: '2026-11-22T10:00:00.000Z',
    });
  });

  it('a matched attribution carries the touch link fields and times', () => {
    const click = touch({
      eventTimeMs: hoursBefore(1),
      source: { media_source: 'net', campaign: 'c1', adset: 's', ad: 'a', site_id: 'site' },
    });
    assert.deepEqual(attributionOf(decideInstall(install(), [click], DEFAULT_WINDOWS), INSTALL_AT), {
      media_source: 'net',
      campaign: 'c1',
      adset: 's',
      ad: 'a',
      site_id: 'site',
      match_type: 'id_matching',
      touch_type: 'click',
      touch_time: '2026-11-22T09:00:00.000Z',
      install_time: '2026-11-22T10:00:00.000Z',
    });
  });
});

// Property tests over small value spaces, so ids, ips, user agents and times collide often.
const arbitraryTouch = fc.record({
  eventId: fc.stringMatching(/^[a-d]{8}$/),
  appId: fc.constantFrom(APP, 'com.other'),
  type: fc.constantFrom<'click' | 'impression'>('click', 'impression'),
  // A few hours before the install, each exactly or 1 ms off: equal times and every window edge come up often.
  eventTimeMs: fc
    .tuple(fc.constantFrom(-1, 0, 0.5, 1, 2, 24, 100, 168, 169), fc.constantFrom(-1, 0, 0, 0, 1))
    .map(([hours, jitter]) => INSTALL_AT - hours * HOUR_MS + jitter),
  receivedDelayMs: fc.integer({ min: 0, max: 1 }),
  advertisingId: fc.constantFrom(AID, 'aid-2', null),
  ip: fc.constantFrom(IP, '203.0.113.8', null),
  userAgent: fc.constantFrom(UA, 'other-agent', null),
  mediaSource: fc.constantFrom<string>('net-a', 'net-b'),
});
type TouchFields = typeof arbitraryTouch extends fc.Arbitrary<infer F> ? F : never;
const toTouch = (t: TouchFields): Touch => ({
  eventId: t.eventId,
  appId: t.appId,
  type: t.type,
  eventTimeMs: t.eventTimeMs,
  receivedAtMs: t.eventTimeMs + t.receivedDelayMs,
  advertisingId: t.advertisingId,
  ip: t.ip,
  userAgent: t.userAgent,
  source: { media_source: t.mediaSource, campaign: null, adset: null, ad: null, site_id: null },
});
// Distinct event_ids: one touch is one event. Every other touch gets a twin of another
// source, equal in time and reception, so full ties come up in most runs.
const arbitraryTouches = fc
  .uniqueArray(arbitraryTouch, { selector: (t) => t.eventId, maxLength: 10 })
  .map((touches) =>
    touches.flatMap((t, index) =>
      index % 2 === 0 ? [toTouch(t), toTouch({ ...t, eventId: `${t.eventId}-twin`, mediaSource: 'net-twin' })] : [toTouch(t)],
    ),
  );
const arbitraryInstall = fc.record({
  appId: fc.constant(APP),
  eventTimeMs: fc.constant(INSTALL_AT),
  advertisingId: fc.constantFrom(AID, null),
  ip: fc.constantFrom(IP, null),
  userAgent: fc.constantFrom(UA, null),
});
const arbitraryWindows = fc.record({
  clickLookbackHours: fc.constantFrom(0, 1, 24, 168),
  probabilisticLookbackHours: fc.constantFrom(0, 1, 24),
  viewThroughLookbackHours: fc.constantFrom(0, 1, 24),
  reattributionWindowDays: fc.constant(90),
});

describe('decideInstall: properties', () => {
  it('does not depend on the order in which candidates are given', () => {
    fc.assert(
      fc.property(
        arbitraryInstall,
        arbitraryWindows,
        arbitraryTouches.chain((touches) =>
          fc.tuple(fc.constant(touches), fc.shuffledSubarray(touches, { minLength: touches.length })),
        ),
        (facts, w, [touches, shuffled]) => {
          assert.deepEqual(decideInstall(facts, shuffled, w), decideInstall(facts, touches, w));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('adding a touch outside every window changes nothing', () => {
    const outside = fc.oneof(
      // after the install
      arbitraryTouch.map((t) => toTouch({ ...t, eventId: 'zzzzzzzz', eventTimeMs: INSTALL_AT + 1 + (t.eventTimeMs % 1000) })),
      // before the longest window (168 h)
      arbitraryTouch.map((t) =>
        toTouch({ ...t, eventId: 'zzzzzzzz', eventTimeMs: INSTALL_AT - 168 * HOUR_MS - 1 - (t.eventTimeMs % 1000) }),
      ),
      // of another app
      arbitraryTouch.map((t) => toTouch({ ...t, eventId: 'zzzzzzzz', appId: 'com.other' })),
    );
    fc.assert(
      fc.property(arbitraryInstall, arbitraryWindows, arbitraryTouches, outside, fc.nat(), (facts, w, touches, extra, at) => {
        const withExtra = [...touches];
        withExtra.splice(at % (touches.length + 1), 0, extra);
        assert.deepEqual(decideInstall(facts, withExtra, w), decideInstall(facts, touches, w));
      }),
      { numRuns: 2000 },
    );
  });

  it('a winner is an eligible candidate, and no eligible candidate of the same rule is later', () => {
    fc.assert(
      fc.property(arbitraryInstall, arbitraryWindows, arbitraryTouches, (facts, w, touches) => {
        const decision = decideInstall(facts, touches, w);
        if (decision.touch === null) return;
        assert.ok(touches.includes(decision.touch));
        assert.ok(decision.touch.eventTimeMs <= facts.eventTimeMs);
        const rival = touches.find(
          (t) =>
            t !== decision.touch &&
            decideInstall(facts, [t], w).matchType === decision.matchType &&
            decideInstall(facts, [t], w).touchType === decision.touchType &&
            isLaterTouch(t, decision.touch!),
        );
        assert.equal(rival, undefined);
      }),
      { numRuns: 1000 },
    );
  });

  it('any eligible click beats any impression', () => {
    fc.assert(
      fc.property(arbitraryInstall, arbitraryWindows, arbitraryTouches, (facts, w, touches) => {
        const clickAlone = touches.some((t) => t.type === 'click' && decideInstall(facts, [t], w).touch === t);
        if (clickAlone) assert.equal(decideInstall(facts, touches, w).touchType, 'click');
      }),
      { numRuns: 1000 },
    );
  });
});
