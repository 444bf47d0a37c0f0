import type { Logger } from '@mmp/common';
import { randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { Spool, type SpoolOptions } from './spool';
import type { SpoolRecord } from './spool-frame';
import { HEARTBEAT_INTERVAL_MS, ownerIsGone, parseOwner, SELF_FENCE_MS, type OwnerProbe, type SpoolOwner } from './spool-owner';

const OWNER_FILE = 'owner.json';
/** Under the root: records Kafka refused on their own for their size, one JSON line each, kept for an operator. */
export const SET_ASIDE_DIR = 'set-aside';
const ADOPTED_DIR = 'adopted';
const MUTEX_FILE = '.adopt.lock';
const MUTEX_STALE_MS = 30_000;

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const readSafely = (read: () => string): string | undefined => {
  try {
    return read().trim();
  } catch {
    return undefined;
  }
};

/** This process's kernel (boot id) and pid namespace: where its pids mean something (see SpoolOwner). */
const PLACE = {
  kernel: readSafely(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8')),
  pidNamespace: readSafely(() => readlinkSync('/proc/self/ns/pid')),
};

const probe = (): OwnerProbe => ({ now: Date.now(), ...PLACE, isAlive });

/** How often a running process looks for spools of processes that are gone. */
const ADOPT_EVERY_MS = 5000;

async function readOwner(dir: string): Promise<SpoolOwner | undefined> {
  return readFile(join(dir, OWNER_FILE), 'utf8').then(parseOwner, () => undefined);
}

async function ageOf(path: string): Promise<number> {
  return stat(path).then(
    (info) => Date.now() - info.mtimeMs,
    () => 0,
  );
}

export interface SpoolDirectoryOptions extends SpoolOptions {
  /** How often to look for spools of processes that are gone (default 5 s). */
  adoptEveryMs?: number;
  /** The clock the lease is kept by (specs stall it). */
  now?: () => number;
}

/**
 * The spool root (SPOOL_DIR) holds one directory per live ingest process. A process takes
 * its own directory and, at start and then every few seconds, moves every directory whose
 * owner is gone under its own `adopted/`, so their batches are replayed by it and, should
 * it crash too, by whoever adopts it next. A short lock file on the root keeps two
 * processes from adopting the same directory.
 *
 * Ownership is a lease: the owner renews `owner.json` every 2 s, and a directory whose
 * lease has not been renewed for 30 s may be adopted (or at once, when its owner is a dead
 * pid of the same kernel and pid namespace). An owner whose own renewal is over 15 s old
 * (a stalled event loop) writes nothing until it has checked, under the root lock, that the
 * directory is still its own; if it is not, it is fenced: it leaves the directory to its
 * adopter for good.
 */
export class SpoolDirectory {
  private heartbeat?: NodeJS.Timeout;
  private adopter?: NodeJS.Timeout;
  private renewedAt: number;
  private readonly now: () => number;
  private renewing?: Promise<void>;
  private closing = false;
  /** Set when another process adopted this directory: nothing may be written or replayed from it any more. */
  fenced = false;
  /** Called after a running process adopted spools, so the replay can start on them. */
  onAdopted?: () => void;

  private constructor(
    readonly dir: string,
    private readonly ownerRecord: SpoolOwner,
    /** Adopted spools first (oldest first), this process's own spool last. */
    readonly spools: Spool[],
    private readonly logger: Logger,
    now: () => number,
  ) {
    this.now = now;
    this.renewedAt = now();
  }

  get own(): Spool {
    return this.spools[this.spools.length - 1];
  }

  static async open(root: string, instanceId: string, options: SpoolDirectoryOptions, logger: Logger): Promise<SpoolDirectory> {
    await mkdir(root, { recursive: true });
    const owner: SpoolOwner = {
      instanceId,
      token: randomBytes(12).toString('base64url'),
      host: hostname(),
      pid: process.pid,
      ...PLACE,
      heartbeatAt: (options.now ?? Date.now)(),
    };
    const unlock = await lockRoot(root);
    let dir: string;
    try {
      dir = join(root, instanceId);
      if ((await directoryPresent(dir)) && !ownerIsGone(await readOwner(dir), probe(), await ageOf(dir))) {
        dir = join(root, `${instanceId}-${process.pid}-${randomBytes(3).toString('hex')}`);
      }
      await mkdir(join(dir, ADOPTED_DIR), { recursive: true });
      await writeOwner(dir, owner);
      await adoptGone(root, dir, logger);
    } finally {
      await unlock();
    }
    const spools = await openTree(dir, options);
    const directory = new SpoolDirectory(dir, owner, spools, logger, options.now ?? Date.now);
    directory.heartbeat = setInterval(() => void directory.renew(), HEARTBEAT_INTERVAL_MS);
    directory.heartbeat.unref();
    directory.adopter = setInterval(() => void directory.adoptNow(options), options.adoptEveryMs ?? ADOPT_EVERY_MS);
    directory.adopter.unref();
    return directory;
  }

  /** Whether the directory may be written and replayed now: its lease is fresh and nobody adopted it. */
  get usable(): boolean {
    return !this.fenced && this.now() - this.renewedAt <= SELF_FENCE_MS;
  }

  /** Renews the lease; after a stall, only once the directory has proved to be still its own. */
  private renew(): Promise<void> {
    this.renewing ??= (async () => {
      try {
        if (this.fenced || this.closing) return;
        const root = dirname(this.dir);
        const stale = this.now() - this.renewedAt > SELF_FENCE_MS;
        const unlock = stale ? await lockRoot(root) : undefined;
        try {
          if (stale) {
            const current = await readOwner(this.dir);
            if (current?.token !== this.ownerRecord.token) {
              this.fenced = true;
              this.logger.error(
                { dir: this.dir },
                'the spool lease lapsed and another process adopted the directory; this process no longer writes to it',
              );
              return;
            }
          }
          const at = this.now();
          await writeOwner(this.dir, { ...this.ownerRecord, heartbeatAt: at });
          this.ownerRecord.heartbeatAt = at;
          this.renewedAt = at;
        } finally {
          await unlock?.();
        }
      } catch (error) {
        this.logger.warn({ err: (error as Error).message }, 'spool heartbeat failed');
      } finally {
        this.renewing = undefined;
      }
    })();
    return this.renewing;
  }

  /** Adopts, while running, the spools of processes that are gone since (finding them under the root lock). */
  async adoptNow(options: SpoolOptions): Promise<number> {
    if (!this.usable || this.closing) return 0;
    const root = dirname(this.dir);
    const unlock = await lockRoot(root);
    let moved: string[];
    try {
      moved = await adoptGone(root, this.dir, this.logger);
    } finally {
      await unlock();
    }
    for (const target of moved) {
      const found = await openTree(target, options);
      // Adopted spools go before this process's own one, in the order they were found.
      this.spools.splice(this.spools.length - 1, 0, ...found);
    }
    if (moved.length > 0) this.onAdopted?.();
    return moved.length;
  }

  /**
   * Keeps records that Kafka refuses for good (durably, outside any spool, so no replay
   * meets them again) in `<root>/set-aside/<instance>.ndjson`, with the reason.
   */
  async setAside(records: SpoolRecord[], reason: string): Promise<void> {
    const folder = join(dirname(this.dir), SET_ASIDE_DIR);
    await mkdir(folder, { recursive: true });
    const handle = await open(join(folder, `${this.ownerRecord.instanceId}.ndjson`), 'a');
    try {
      const at = new Date().toISOString();
      await handle.writeFile(records.map((record) => JSON.stringify({ at, reason, ...record }) + '\n').join(''));
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  /** Deletes adopted spools whose batches are all delivered. */
  async prune(): Promise<void> {
    for (let i = 0; i < this.spools.length - 1; i++) {
      const spool = this.spools[i];
      if (!spool.empty) continue;
      this.spools.splice(i--, 1);
      await spool.remove();
      this.logger.info({ dir: spool.dir }, 'adopted spool delivered and removed');
    }
  }

  /** Leaves nothing behind when all is delivered; otherwise hands the directory to whoever starts next. */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.heartbeat);
    clearInterval(this.adopter);
    await this.renewing;
    if (this.fenced) {
      for (const spool of this.spools) await spool.close();
      return;
    }
    for (const spool of this.spools) await spool.close();
    await this.prune();
    if (this.spools.every((spool) => spool.empty)) {
      await rm(this.dir, { recursive: true, force: true });
      return;
    }
    await writeOwner(this.dir, { ...this.ownerRecord, heartbeatAt: Date.now(), released: true });
    this.logger.warn(
      { dir: this.dir, events: this.own.waitingEvents },
      'stopped with undelivered spooled events; the next ingest process adopts them',
    );
  }
}

/** Moves every directory of the root whose owner is gone under `dir/adopted/`; call with the root locked. */
async function adoptGone(root: string, dir: string, logger: Logger): Promise<string[]> {
  const moved: string[] = [];
  for (const name of await readdir(root)) {
    const candidate = join(root, name);
    if (name.startsWith('.') || name === SET_ASIDE_DIR || candidate === dir || !(await directoryPresent(candidate))) continue;
    if (!ownerIsGone(await readOwner(candidate), probe(), await ageOf(candidate))) continue;
    const target = join(dir, ADOPTED_DIR, `${Date.now().toString(36)}-${name}`);
    await rename(candidate, target);
    await syncDirectory(root);
    logger.info({ from: candidate, to: target }, 'adopted the spool of a process that is gone');
    moved.push(target);
  }
  return moved;
}

async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function directoryPresent(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isDirectory(),
    () => false,
  );
}

async function openTree(dir: string, options: SpoolOptions): Promise<Spool[]> {
  const adoptedRoot = join(dir, ADOPTED_DIR);
  const nested = (await readdir(adoptedRoot).catch(() => [] as string[])).sort();
  const spools: Spool[] = [];
  for (const name of nested) {
    if (await directoryPresent(join(adoptedRoot, name))) spools.push(...(await openTree(join(adoptedRoot, name), options)));
  }
  spools.push(await Spool.open(dir, options));
  return spools;
}

async function writeOwner(dir: string, owner: SpoolOwner): Promise<void> {
  const temporary = join(dir, `${OWNER_FILE}.tmp`);
  await writeFile(temporary, JSON.stringify(owner));
  await rename(temporary, join(dir, OWNER_FILE));
}

interface LockHolder {
  host?: string;
  pid?: number;
  kernel?: string;
  pidNamespace?: string;
  at?: number;
}

/** A holder record that cannot be read or parsed is unknown, and judged by the lock file's age alone. */
function parseHolder(text: string): LockHolder {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' ? (value as LockHolder) : {};
  } catch {
    return {};
  }
}

/**
 * A lock file that appears with its content in one step: the holder record is written
 * to a private file and hard-linked to the lock's name, which fails with EEXIST when the
 * lock is held. So nobody ever reads a lock file that is empty or half-written (creating
 * it with `wx` and writing it afterwards let a sibling read it empty). One left by a dead
 * or stuck process is broken after a while.
 */
async function lockRoot(root: string): Promise<() => Promise<void>> {
  const path = join(root, MUTEX_FILE);
  const mine = join(root, `${MUTEX_FILE}.${process.pid}.${randomBytes(4).toString('hex')}`);
  await writeFile(mine, JSON.stringify({ host: hostname(), pid: process.pid, ...PLACE, at: Date.now() }));
  const deadline = Date.now() + 20_000;
  try {
    for (;;) {
      try {
        await link(mine, path);
        return () => rm(path, { force: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = await readFile(path, 'utf8').then(parseHolder, () => ({}) as LockHolder);
      // A pid is judged only in its own kernel and pid namespace (see SpoolOwner).
      const deadHolder =
        PLACE.kernel !== undefined &&
        holder.kernel === PLACE.kernel &&
        holder.pidNamespace === PLACE.pidNamespace &&
        typeof holder.pid === 'number' &&
        !isAlive(holder.pid);
      if (deadHolder || (await ageOf(path)) > MUTEX_STALE_MS) await rm(path, { force: true });
      else if (Date.now() > deadline) throw new Error(`the spool root ${root} stays locked by ${MUTEX_FILE}`);
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await rm(mine, { force: true });
  }
}
