import type { Logger } from '@mmp/common';
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { Spool, type SpoolOptions } from './spool';
import type { SpoolRecord } from './spool-frame';
import { HEARTBEAT_INTERVAL_MS, ownerIsGone, parseOwner, type OwnerProbe, type SpoolOwner } from './spool-owner';

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

const probe = (): OwnerProbe => ({ host: hostname(), now: Date.now(), isAlive });

async function readOwner(dir: string): Promise<SpoolOwner | undefined> {
  return readFile(join(dir, OWNER_FILE), 'utf8').then(parseOwner, () => undefined);
}

async function ageOf(path: string): Promise<number> {
  return stat(path).then(
    (info) => Date.now() - info.mtimeMs,
    () => 0,
  );
}

/**
 * The spool root (SPOOL_DIR) holds one directory per live ingest process. At start a
 * process takes its own directory and moves every directory whose owner is gone under
 * its own `adopted/`, so their batches are replayed by it and, should it crash too, by
 * whoever adopts it next. A short lock file on the root keeps two starting processes
 * from adopting the same directory.
 */
export class SpoolDirectory {
  private heartbeat?: NodeJS.Timeout;

  private constructor(
    readonly dir: string,
    private readonly ownerRecord: SpoolOwner,
    /** Adopted spools first (oldest first), this process's own spool last. */
    readonly spools: Spool[],
    private readonly logger: Logger,
  ) {}

  get own(): Spool {
    return this.spools[this.spools.length - 1];
  }

  static async open(root: string, instanceId: string, options: SpoolOptions, logger: Logger): Promise<SpoolDirectory> {
    await mkdir(root, { recursive: true });
    const owner: SpoolOwner = { instanceId, host: hostname(), pid: process.pid, heartbeatAt: Date.now() };
    const unlock = await lockRoot(root);
    let dir: string;
    try {
      dir = join(root, instanceId);
      if ((await directoryPresent(dir)) && !ownerIsGone(await readOwner(dir), probe(), await ageOf(dir))) {
        dir = join(root, `${instanceId}-${process.pid}-${randomBytes(3).toString('hex')}`);
      }
      await mkdir(join(dir, ADOPTED_DIR), { recursive: true });
      await writeOwner(dir, owner);
      for (const name of await readdir(root)) {
        const candidate = join(root, name);
        if (name.startsWith('.') || name === SET_ASIDE_DIR || candidate === dir || !(await directoryPresent(candidate))) continue;
        if (!ownerIsGone(await readOwner(candidate), probe(), await ageOf(candidate))) continue;
        const target = join(dir, ADOPTED_DIR, `${Date.now().toString(36)}-${name}`);
        await rename(candidate, target);
        logger.info({ from: candidate, to: target }, 'adopted the spool of a process that is gone');
      }
    } finally {
      await unlock();
    }
    const spools = await openTree(dir, options);
    const directory = new SpoolDirectory(dir, owner, spools, logger);
    directory.heartbeat = setInterval(() => {
      directory.ownerRecord.heartbeatAt = Date.now();
      writeOwner(dir, directory.ownerRecord).catch((error) =>
        logger.warn({ err: (error as Error).message }, 'spool heartbeat failed'),
      );
    }, HEARTBEAT_INTERVAL_MS);
    directory.heartbeat.unref();
    return directory;
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
    clearInterval(this.heartbeat);
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
  await writeFile(mine, JSON.stringify({ host: hostname(), pid: process.pid, at: Date.now() }));
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
      const deadHolder = holder.host === hostname() && typeof holder.pid === 'number' && !isAlive(holder.pid);
      if (deadHolder || (await ageOf(path)) > MUTEX_STALE_MS) await rm(path, { force: true });
      else if (Date.now() > deadline) throw new Error(`the spool root ${root} stays locked by ${MUTEX_FILE}`);
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await rm(mine, { force: true });
  }
}
