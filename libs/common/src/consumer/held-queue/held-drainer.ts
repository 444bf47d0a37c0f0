import type { CheckResult } from '../../health/health';
import type { Logger } from '../../logging/logger';
import type { Watermark } from '../watermark';
import type { HeldItem, HeldQueue } from './held-queue';

export interface HeldDrainerOptions {
  queue: HeldQueue;
  /** The group's event-time watermark on the topic the items came from (read only). */
  watermark: Watermark;
  partitionCount: number;
  /** An item at time T is due once the watermark has passed T + graceMs (contracts §5: 2 s of clock skew). */
  graceMs: number;
  /** This member's id, for the per-partition lease. */
  owner: string;
  /** The partitions this member owns now (the consumer's assignment): their queues move with them. */
  ownedPartitions: () => Iterable<number>;
  /**
   * Does the work of due items, in time order, and resolves once its effect is durable;
   * the items are removed only then. Throws when a dependency is down: the same items come again.
   */
  handle: (partition: number, items: HeldItem[]) => Promise<void>;
  logger: Logger;
  intervalMs?: number;
  batchSize?: number;
  /** A member that stops (SIGSTOP, a crash) loses its lease after this long. */
  leaseMs?: number;
  /** A failing pass makes the check `critical` after this long (`warning` before). */
  criticalAfterMs?: number;
}

/**
 * Drains HeldQueues behind the watermark. A consumer handler cannot wait for the
 * watermark inside its slice (its own partition's progress is what the watermark waits
 * for: it would deadlock), so it parks the work and commits; this loop, beside the
 * consumer, does the work once every partition has passed the item's time plus the grace.
 */
export class HeldDrainer {
  private timer?: NodeJS.Timeout;
  private pass?: Promise<number>;
  private running = false;
  private stopping = false;
  private again = false;
  private readonly leased = new Set<number>();
  private failingSince: number | null = null;
  private lastError = '';

  constructor(private readonly options: HeldDrainerOptions) {}

  start(): void {
    this.running = true;
    this.schedule(0);
  }

  /** Finishes the pass in progress and gives the leases back. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopping = true;
    clearTimeout(this.timer);
    await this.pass?.catch(() => undefined);
    await Promise.all(
      [...this.leased].map((partition) => this.options.queue.release(partition, this.options.owner).catch(() => undefined)),
    );
    this.leased.clear();
  }

  /** Asks for a pass as soon as the one in progress ends (after a slice moved the watermark). */
  kick(): void {
    if (!this.running) return;
    if (this.pass) this.again = true;
    else this.schedule(0);
  }

  /** One pass over the owned partitions; resolves with the number of items done. */
  drainOnce(): Promise<number> {
    this.pass ??= this.runPass().finally(() => (this.pass = undefined));
    return this.pass;
  }

  check(): CheckResult {
    if (this.failingSince === null) return { status: 'passing' };
    const failingMs = Date.now() - this.failingSince;
    const status = failingMs > (this.options.criticalAfterMs ?? 30_000) ? 'critical' : 'warning';
    return { status, detail: `held work not drained for ${failingMs} ms: ${this.lastError}` };
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      void this.drainOnce().finally(() => {
        if (!this.running) return;
        const now = this.again;
        this.again = false;
        this.schedule(now ? 0 : (this.options.intervalMs ?? 200));
      });
    }, delayMs);
    this.timer.unref();
  }

  private async runPass(): Promise<number> {
    const { queue, watermark, partitionCount, graceMs, owner } = this.options;
    try {
      const owned = new Set(this.options.ownedPartitions());
      // A partition that moved away is the new owner's: give its lease back now rather than at expiry.
      for (const partition of [...this.leased]) {
        if (owned.has(partition)) continue;
        this.leased.delete(partition);
        await queue.release(partition, owner);
      }
      const low = await watermark.low(partitionCount);
      let done = 0;
      if (low !== null) {
        const counts = await Promise.all([...owned].map((partition) => this.drainPartition(partition, low - graceMs)));
        done = counts.reduce((sum, count) => sum + count, 0);
      }
      this.failingSince = null;
      return done;
    } catch (error) {
      this.failingSince ??= Date.now();
      this.lastError = (error as Error).message;
      this.options.logger.warn({ err: this.lastError }, 'held_drain_failed');
      return 0;
    }
  }

  private async drainPartition(partition: number, untilMs: number): Promise<number> {
    const { queue, owner } = this.options;
    const batchSize = this.options.batchSize ?? 1000;
    if (!(await queue.lease(partition, owner, this.options.leaseMs ?? 10_000))) {
      this.leased.delete(partition);
      return 0;
    }
    this.leased.add(partition);
    let done = 0;
    for (;;) {
      const items = await queue.due(partition, untilMs, batchSize);
      if (items.length === 0) break;
      await this.options.handle(partition, items);
      await queue.remove(
        partition,
        items.map((item) => item.id),
      );
      done += items.length;
      if (items.length < batchSize || this.stopping) break;
      // A long drain keeps its lease.
      if (!(await queue.lease(partition, owner, this.options.leaseMs ?? 10_000))) break;
    }
    return done;
  }
}
