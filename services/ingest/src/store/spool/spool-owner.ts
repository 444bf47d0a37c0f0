/** What an owner writes into its spool directory, refreshed every few seconds while it lives. */
export interface SpoolOwner {
  instanceId: string;
  host: string;
  pid: number;
  heartbeatAt: number;
  /** Set on a clean stop that left undelivered batches: anyone may adopt them at once. */
  released?: boolean;
}

export const HEARTBEAT_INTERVAL_MS = 2000;
export const HEARTBEAT_STALE_MS = 15_000;

export interface OwnerProbe {
  host: string;
  now: number;
  /** Whether a process with this pid runs on this host. */
  isAlive(pid: number): boolean;
}

/**
 * Whether a spool directory may be adopted: its owner released it, or is a dead process
 * of this host, or stopped beating. A live owner's directory is never adopted; a pid
 * reused by another process is caught by the heartbeat.
 */
export function ownerIsGone(owner: SpoolOwner | undefined, probe: OwnerProbe, directoryAgeMs: number): boolean {
  // No owner file: a crash between creating the directory and writing it, or a leftover.
  if (!owner) return directoryAgeMs > HEARTBEAT_STALE_MS;
  if (owner.released) return true;
  if (owner.host === probe.host && !probe.isAlive(owner.pid)) return true;
  return probe.now - owner.heartbeatAt > HEARTBEAT_STALE_MS;
}

export function parseOwner(text: string): SpoolOwner | undefined {
  try {
    const value = JSON.parse(text) as Partial<SpoolOwner>;
    if (
      typeof value.instanceId !== 'string' ||
      typeof value.host !== 'string' ||
      typeof value.pid !== 'number' ||
      typeof value.heartbeatAt !== 'number'
    ) {
      return undefined;
    }
    return value as SpoolOwner;
  } catch {
    return undefined;
  }
}
