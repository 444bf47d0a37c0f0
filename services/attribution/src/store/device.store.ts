import type { RedisClient } from '@mmp/common';
import type { CountedInstall } from '../domain/device-installs';
import { DAY_MS } from '../domain/windows';

/** In-app events keep inheriting a device's install at least this long after it. */
const INHERITANCE_DAYS = 180;

/**
 * The counted installs of each (app, advertising id), in a hash by install event_id:
 * for reinstall detection over the re-attribution window, and for in-app inheritance.
 * Writing the same install again is a no-op, so a redone decision is harmless.
 */
export class DeviceStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  keyOf(appId: string, advertisingId: string): string {
    return `${this.prefix}:{${appId}:${advertisingId}}:installs`;
  }

  /** Counted installs per device key, all read in one round trip. */
  async load(devices: readonly { appId: string; advertisingId: string }[]): Promise<Map<string, CountedInstall[]>> {
    const keys = [...new Set(devices.map((device) => this.keyOf(device.appId, device.advertisingId)))];
    const values = await Promise.all(keys.map((key) => this.redis.hVals(key)));
    return new Map(keys.map((key, index) => [key, values[index].map((value) => JSON.parse(value) as CountedInstall)]));
  }

  record(appId: string, advertisingId: string, install: CountedInstall, reattributionWindowDays: number): Promise<unknown>[] {
    const key = this.keyOf(appId, advertisingId);
    const keepMs = Math.max(reattributionWindowDays, INHERITANCE_DAYS) * DAY_MS;
    return [
      this.redis.hSet(key, install.eventId, JSON.stringify(install)),
      this.redis.pExpireAt(key, install.eventTimeMs + keepMs, 'NX'),
      this.redis.pExpireAt(key, install.eventTimeMs + keepMs, 'GT'),
    ];
  }
}
