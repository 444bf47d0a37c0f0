import { APP_ID_PATTERN } from '@mmp/common';
import type { Dirent } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { RAW_KINDS, type RawKind } from '../domain/raw-row';
import type { UtcDay } from '../domain/utc-day';
import type { DayFolder, RawStore } from './raw-store';

const SEGMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9+._=-]{0,200}\.jsonl$/;
const ASIDE_PREFIX = '.aside-';
/** Writes are gathered into blocks of about this size: few syscalls, bounded memory. */
const WRITE_BLOCK = 256 * 1024;
/** Small read buffers: an export with many segments open at once stays small. */
const READ_BUFFER = 32 * 1024;

/**
 * The lake on a local file system, shared safely by every instance on the machine:
 * segments are written aside under a unique name, fsynced, and renamed into place, so a
 * reader (or a process killed mid-write) never sees half a segment; nothing is ever
 * rewritten in place.
 */
export class FsRawStore implements RawStore {
  private readonly root: string;
  private readonly madeFolders = new Set<string>();

  constructor(root: string) {
    this.root = resolve(root);
  }

  async put(folder: DayFolder, name: string, content: AsyncIterable<string> | Iterable<string>): Promise<void> {
    const path = this.folderPath(folder);
    const target = join(path, checkedName(name));
    const aside = join(path, `${ASIDE_PREFIX}${process.pid}-${Math.random().toString(36).slice(2)}-${name}`);
    const file = await this.openAside(path, aside);
    try {
      let block = '';
      for await (const text of content) {
        block += text;
        if (block.length >= WRITE_BLOCK) {
          await file.write(block);
          block = '';
        }
      }
      if (block.length > 0) await file.write(block);
      await file.sync();
    } catch (error) {
      await file.close().catch(() => undefined);
      await unlink(aside).catch(() => undefined);
      throw error;
    }
    await file.close();
    await rename(aside, target);
    // The rename itself survives a power cut only once the folder is synced.
    const directory = await open(path, 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  }

  async list(folder: DayFolder): Promise<string[]> {
    const names = await readdirOrEmpty(this.folderPath(folder));
    return names.filter((name) => SEGMENT_NAME.test(name)).sort();
  }

  async open(folder: DayFolder, name: string): Promise<Readable | undefined> {
    try {
      // Opened now: a segment compacted or expired after this point stays readable to us.
      const handle = await open(join(this.folderPath(folder), checkedName(name)), 'r');
      return handle.createReadStream({ highWaterMark: READ_BUFFER, autoClose: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async remove(folder: DayFolder, names: string[]): Promise<void> {
    const path = this.folderPath(folder);
    await Promise.all(names.map((name) => rm(join(path, checkedName(name)), { force: true })));
  }

  async apps(): Promise<string[]> {
    return (await readdirOrEmpty(this.root)).filter((name) => APP_ID_PATTERN.test(name));
  }

  async days(appId: string, kind: RawKind): Promise<UtcDay[]> {
    const base = this.kindPath(appId, kind);
    const days: UtcDay[] = [];
    for (const year of (await readdirOrEmpty(base)).filter((name) => /^\d{4}$/.test(name)).sort())
      for (const month of (await readdirOrEmpty(join(base, year))).filter((name) => /^\d{2}$/.test(name)).sort())
        for (const day of (await readdirOrEmpty(join(base, year, month))).filter((name) => /^\d{2}$/.test(name)).sort())
          days.push(`${year}-${month}-${day}`);
    return days;
  }

  async removeDay(folder: DayFolder): Promise<void> {
    const path = this.folderPath(folder);
    this.madeFolders.delete(path);
    await rm(path, { recursive: true, force: true });
  }

  async sweepAbandoned(olderThanMs: number): Promise<number> {
    let removed = 0;
    const before = Date.now() - olderThanMs;
    for (const appId of await this.apps())
      for (const kind of RAW_KINDS)
        for (const day of await this.days(appId, kind)) {
          const path = this.folderPath({ appId, kind, day });
          for (const name of await readdirOrEmpty(path)) {
            if (!name.startsWith(ASIDE_PREFIX)) continue;
            const info = await stat(join(path, name)).catch(() => undefined);
            if (info && info.mtimeMs < before) {
              await rm(join(path, name), { force: true });
              removed++;
            }
          }
        }
    return removed;
  }

  private async openAside(path: string, aside: string) {
    if (!this.madeFolders.has(path)) {
      await mkdir(path, { recursive: true });
      this.madeFolders.add(path);
    }
    try {
      return await open(aside, 'wx');
    } catch (error) {
      // Retention removed the folder since we made it.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await mkdir(path, { recursive: true });
      return open(aside, 'wx');
    }
  }

  private kindPath(appId: string, kind: RawKind): string {
    if (!APP_ID_PATTERN.test(appId) || !(RAW_KINDS as readonly string[]).includes(kind))
      throw new Error(`not a lake folder: ${appId}/${kind}`);
    const path = join(this.root, appId, kind);
    // The app id pattern already forbids separators and a leading dot; this makes it certain.
    if (!path.startsWith(this.root + sep)) throw new Error(`outside the lake: ${appId}`);
    return path;
  }

  private folderPath(folder: DayFolder): string {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(folder.day)) throw new Error(`not a day: ${folder.day}`);
    const [year, month, day] = folder.day.split('-');
    return join(this.kindPath(folder.appId, folder.kind), year, month, day);
  }
}

function checkedName(name: string): string {
  if (!SEGMENT_NAME.test(name)) throw new Error(`not a segment name: ${name}`);
  return name;
}

async function readdirOrEmpty(path: string): Promise<string[]> {
  try {
    return (await readdir(path, { withFileTypes: true })).map((entry: Dirent) => entry.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
