import type { Metrics } from '@mmp/common';
import { attributionOf } from '../domain/attribution';
import { inheritedAttribution, isReinstall, type CountedInstall } from '../domain/device-installs';
import { installFactsOf, type RawFields } from '../domain/events';
import { decideInstall } from '../domain/last-touch';
import type { AppWindows } from '../domain/windows';
import type { Decision, DecisionStore } from '../store/decision.store';
import type { DeviceStore } from '../store/device.store';
import type { TouchStore } from '../store/touch.store';

export interface Decided<E> {
  event: E;
  decision: Decision;
}

/**
 * Decides installs, in-app events and sessions, in the order given (time order), with the
 * pure core; everything read and written in a few round trips for the whole batch. An
 * event decided before (redelivery, replay) gets its stored decision back unchanged.
 */
export class Decider {
  constructor(
    private readonly touches: TouchStore,
    private readonly devices: DeviceStore,
    private readonly decisions: DecisionStore,
    private readonly windowsOf: (appId: string) => AppWindows,
    private readonly metrics: Metrics,
  ) {}

  async decide<E extends RawFields>(events: readonly E[]): Promise<Decided<E>[]> {
    const advertisingIdOf = (event: RawFields) => event.device.advertising_id ?? null;
    const known = await this.decisions.load(events);
    const fresh = events.filter((_, index) => known[index] === null);
    const installs = fresh.filter((event) => event.type === 'install');
    const withDevice = events.filter((event) => advertisingIdOf(event) !== null);
    const [candidates, counted] = await Promise.all([
      this.touches.candidatesFor(
        installs.map((event) => ({ facts: installFactsOf(event), windows: this.windowsOf(event.app_id) })),
      ),
      this.devices.load(withDevice.map((event) => ({ appId: event.app_id, advertisingId: advertisingIdOf(event)! }))),
    ]);
    const candidatesOf = new Map(installs.map((event, index) => [event, candidates[index]]));

    const decided: { event: E; decision: Decision; fresh: boolean }[] = [];
    const deviceWrites: Promise<unknown>[] = [];
    events.forEach((event, index) => {
      const advertisingId = advertisingIdOf(event);
      const deviceKey = advertisingId === null ? null : this.devices.keyOf(event.app_id, advertisingId);
      const deviceInstalls = deviceKey === null ? [] : (counted.get(deviceKey) ?? []);
      const eventTimeMs = Date.parse(event.event_time);
      const windows = this.windowsOf(event.app_id);
      let decision = known[index];
      const isFresh = decision === null;
      if (decision === null) {
        if (event.type === 'install') {
          const touch = decideInstall(installFactsOf(event), candidatesOf.get(event) ?? [], windows);
          decision = {
            attribution: attributionOf(touch, eventTimeMs),
            isReinstall: isReinstall({ eventId: event.event_id, eventTimeMs, advertisingId }, deviceInstalls, windows),
          };
        } else {
          decision = { attribution: inheritedAttribution({ eventTimeMs, advertisingId }, deviceInstalls) };
        }
      }
      // A counted install is (re)recorded even when its decision was stored before: a crash may have come in between.
      if (event.type === 'install' && decision.isReinstall === false && deviceKey !== null && advertisingId !== null) {
        const install: CountedInstall = { eventId: event.event_id, eventTimeMs, attribution: decision.attribution };
        if (!deviceInstalls.some((known) => known.eventId === install.eventId)) {
          deviceInstalls.push(install);
          counted.set(deviceKey, deviceInstalls);
        }
        deviceWrites.push(...this.devices.record(event.app_id, advertisingId, install, windows.reattributionWindowDays));
      }
      decided.push({ event, decision, fresh: isFresh });
    });

    const freshOnes = decided.filter((entry) => entry.fresh);
    const [settled] = await Promise.all([
      this.decisions.settle(freshOnes.map(({ event, decision }) => ({ appId: event.app_id, eventId: event.event_id, decision }))),
      ...deviceWrites,
    ]);
    freshOnes.forEach((entry, index) => (entry.decision = settled[index]));

    for (const { event, decision, fresh: isFresh } of decided) {
      if (!isFresh || event.type !== 'install') continue;
      this.metrics.increment('attribution.matched', 1, {
        match_type: decision.attribution.match_type,
        touch_type: decision.attribution.touch_type ?? 'none',
      });
    }
    return decided.map(({ event, decision }) => ({ event, decision }));
  }
}
