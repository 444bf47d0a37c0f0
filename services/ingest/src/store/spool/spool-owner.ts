/** What an owner writes into its spool directory, renewed every few seconds while it lives: its lease. */
export interface SpoolOwner {
  instanceId: string;
  /** Random per process start: tells this owner from an earlier one of the same instance id. */
  token: string;
  host: string;
  pid: number;
  /**
   * The kernel (its boot id) and pid namespace the pid belongs to. Only a prober in the
   * same kernel and namespace may judge the pid; containers sharing a volume and the
   * host's hostname have namespaces of their own, where the same pid means another process.
   */
  kernel?: string;
  pidNamespace?: string;
  heartbeatAt: number;
  /** Set on a clean stop that left undelivered batches: anyone may adopt them at once. */
  released?: boolean;
}

export const HEARTBEAT_INTERVAL_MS = 2000;
/** A lease not renewed for this long has lapsed: the directory may be adopted. */
export const LEASE_MS = 30_000;
/**
 * An owner whose last renewal is older than this stops using its directory until it has
 * checked that the directory is still its own: it stops well before anyone may adopt it.
 */
export const SELF_FENCE_MS = LEASE_MS / 2;

export interface OwnerProbe {
  now: number;
  kernel?: string;
  pidNamespace?: string;
  /** Whether a process with this pid runs in the prober's pid namespace. */
  isAlive(pid: number): boolean;
}

/**
 * Whether a spool directory may be adopted: its owner released it, or its lease lapsed,
 * or it is a dead process that the prober can see (same kernel, same pid namespace).
 * Host names and bare pids prove nothing across containers. A live owner's directory is
 * never adopted; a pid reused by another process is caught by the lease.
 */
export function ownerIsGone(owner: SpoolOwner | undefined, probe: OwnerProbe, directoryAgeMs: number): boolean {
  // No owner file: a crash between creating the directory and writing it, or a leftover.
  if (!owner) return directoryAgeMs > LEASE_MS;
  if (owner.released) return true;
  const sameNamespace =
    owner.kernel !== undefined &&
    owner.pidNamespace !== undefined &&
    owner.kernel === probe.kernel &&
    owner.pidNamespace === probe.pidNamespace;
  if (sameNamespace && !probe.isAlive(owner.pid)) return true;
  return probe.now - owner.heartbeatAt > LEASE_MS;
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
    return { token: '', ...value } as SpoolOwner;
  } catch {
    return undefined;
  }
}
