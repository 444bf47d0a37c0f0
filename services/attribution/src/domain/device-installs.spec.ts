import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { organicAttribution, type Attribution } from './attribution';
import { anchorOf, inheritedAttribution, isReinstall, type CountedInstall } from './device-installs';
import { DAY_MS, DEFAULT_WINDOWS, type AppWindows } from './windows';

const FIRST_AT = Date.parse('2026-01-01T00:00:00.000Z');
const AID = 'aid-1';

const attributed = (media_source: string, installTimeMs: number): Attribution => ({
  ...organicAttribution(new Date(installTimeMs).toISOString()),
  media_source,
  match_type: 'id_matching',
  touch_type: 'click',
  touch_time: new Date(installTimeMs - 1000).toISOString(),
});
const counted = (eventId: string, eventTimeMs: number, media = `source-of-${eventId}`): CountedInstall => ({
  eventId,
  eventTimeMs,
  attribution: attributed(media, eventTimeMs),
});
const installAt = (eventTimeMs: number, advertisingId: string | null = AID, eventId = `install-${eventTimeMs}`) => ({
  eventId,
  eventTimeMs,
  advertisingId,
});
const windows = (overrides: Partial<AppWindows> = {}): AppWindows => ({ ...DEFAULT_WINDOWS, ...overrides });

describe('isReinstall', () => {
  const first = counted('install-first', FIRST_AT);

  it('the first install of a device counts', () => {
    assert.equal(isReinstall(installAt(FIRST_AT), [], DEFAULT_WINDOWS), false);
  });

  it('a later install inside reattribution_window_days is a reinstall', () => {
    assert.equal(isReinstall(installAt(FIRST_AT + 10 * DAY_MS), [first], DEFAULT_WINDOWS), true);
  });

  it('exactly at the end of the window is still a reinstall', () => {
    assert.equal(isReinstall(installAt(FIRST_AT + 90 * DAY_MS), [first], DEFAULT_WINDOWS), true);
  });

  it('1 ms after the window counts as a new install', () => {
    assert.equal(isReinstall(installAt(FIRST_AT + 90 * DAY_MS + 1), [first], DEFAULT_WINDOWS), false);
  });

  it('follows the app window: reattribution_window_days 7', () => {
    const w = windows({ reattributionWindowDays: 7 });
    assert.equal(isReinstall(installAt(FIRST_AT + 7 * DAY_MS), [first], w), true);
    assert.equal(isReinstall(installAt(FIRST_AT + 7 * DAY_MS + 1), [first], w), false);
  });

  it('a reinstall does not extend the window; a new counted install starts it again', () => {
    // Counted installs only are kept: reinstalls at day 10 and 80 leave the window anchored at day 0.
    assert.equal(isReinstall(installAt(FIRST_AT + 91 * DAY_MS), [first], DEFAULT_WINDOWS), false);
    const second = counted('install-second', FIRST_AT + 91 * DAY_MS);
    assert.equal(isReinstall(installAt(FIRST_AT + 100 * DAY_MS), [first, second], DEFAULT_WINDOWS), true);
    assert.equal(isReinstall(installAt(FIRST_AT + 181 * DAY_MS), [first, second], DEFAULT_WINDOWS), true);
    assert.equal(isReinstall(installAt(FIRST_AT + 181 * DAY_MS + 1), [first, second], DEFAULT_WINDOWS), false);
  });

  it('an install decided after the first but dated before it, inside the window, is a reinstall', () => {
    assert.equal(isReinstall(installAt(FIRST_AT - DAY_MS), [first], DEFAULT_WINDOWS), true);
  });

  it('the counted install itself, seen again (replay), is not its own reinstall', () => {
    assert.equal(isReinstall(installAt(FIRST_AT, AID, 'install-first'), [first], DEFAULT_WINDOWS), false);
  });

  it('an install without an advertising id always counts', () => {
    assert.equal(isReinstall(installAt(FIRST_AT + DAY_MS, null), [first], DEFAULT_WINDOWS), false);
  });
});

describe('inheritedAttribution', () => {
  it('an event of a device with no known install is organic, with no install time', () => {
    assert.deepEqual(inheritedAttribution({ eventTimeMs: FIRST_AT, advertisingId: AID }, []), organicAttribution(null));
  });

  it('an event without an advertising id is organic', () => {
    const installs = [counted('install-first', FIRST_AT)];
    assert.deepEqual(
      inheritedAttribution({ eventTimeMs: FIRST_AT + 1, advertisingId: null }, installs),
      organicAttribution(null),
    );
  });

  it('carries the attribution of the latest counted install, with its install time', () => {
    const first = counted('install-first', FIRST_AT, 'net-a');
    const later = counted('install-later', FIRST_AT + 100 * DAY_MS, 'net-b');
    const inherited = inheritedAttribution({ eventTimeMs: FIRST_AT + 101 * DAY_MS, advertisingId: AID }, [later, first]);
    assert.equal(inherited.media_source, 'net-b');
    assert.equal(inherited.install_time, new Date(FIRST_AT + 100 * DAY_MS).toISOString());
  });

  it('an event dated between two counted installs inherits the one before it', () => {
    const first = counted('install-first', FIRST_AT, 'net-a');
    const later = counted('install-later', FIRST_AT + 100 * DAY_MS, 'net-b');
    assert.equal(
      inheritedAttribution({ eventTimeMs: FIRST_AT + 50 * DAY_MS, advertisingId: AID }, [first, later]).media_source,
      'net-a',
    );
  });

  it('an event dated before every counted install (device clock) inherits the earliest', () => {
    const first = counted('install-first', FIRST_AT, 'net-a');
    const later = counted('install-later', FIRST_AT + 100 * DAY_MS, 'net-b');
    assert.equal(
      inheritedAttribution({ eventTimeMs: FIRST_AT - 5000, advertisingId: AID }, [later, first]).media_source,
      'net-a',
    );
  });

  it('an organic counted install passes organic on, with its install time', () => {
    const organic: CountedInstall = {
      eventId: 'install-o',
      eventTimeMs: FIRST_AT,
      attribution: organicAttribution(new Date(FIRST_AT).toISOString()),
    };
    assert.deepEqual(inheritedAttribution({ eventTimeMs: FIRST_AT + 1, advertisingId: AID }, [organic]), organic.attribution);
  });
});

describe('anchorOf: properties', () => {
  const arbitraryCounted = fc
    .uniqueArray(fc.record({ eventId: fc.stringMatching(/^[a-c]{3}$/), day: fc.integer({ min: 0, max: 400 }) }), {
      selector: (c) => c.eventId,
      maxLength: 6,
    })
    .map((list) => list.map(({ eventId, day }) => counted(eventId, FIRST_AT + day * DAY_MS)));

  it('does not depend on the order of the counted installs', () => {
    fc.assert(
      fc.property(
        arbitraryCounted.chain((list) => fc.tuple(fc.constant(list), fc.shuffledSubarray(list, { minLength: list.length }))),
        fc.integer({ min: -10, max: 410 }),
        ([list, shuffled], day) => {
          assert.deepEqual(anchorOf(FIRST_AT + day * DAY_MS, shuffled), anchorOf(FIRST_AT + day * DAY_MS, list));
        },
      ),
    );
  });

  it('is never after the time when some counted install is at or before it', () => {
    fc.assert(
      fc.property(arbitraryCounted, fc.integer({ min: -10, max: 410 }), (list, day) => {
        const at = FIRST_AT + day * DAY_MS;
        const anchor = anchorOf(at, list);
        if (list.some((c) => c.eventTimeMs <= at)) {
          assert.ok(anchor && anchor.eventTimeMs <= at);
          assert.ok(list.every((c) => c.eventTimeMs > at || c.eventTimeMs <= anchor.eventTimeMs));
        }
      }),
    );
  });
});
