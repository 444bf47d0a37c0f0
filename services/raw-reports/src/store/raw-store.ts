import type { Readable } from 'node:stream';
import type { RawKind } from '../domain/raw-row';
import type { UtcDay } from '../domain/utc-day';

/** One folder of the lake: `<app_id>/<kind>/<yyyy>/<mm>/<dd>/`. */
export interface DayFolder {
  appId: string;
  kind: RawKind;
  day: UtcDay;
}

/**
 * Where raw rows live, as immutable named segments of JSON lines per day folder. Small on
 * purpose so an object store fits it: put is PutObject (or a multipart upload), list is
 * ListObjectsV2 on the folder's prefix, open is GetObject, remove is DeleteObjects.
 * The local file system (FsRawStore) is the embedded default.
 */
export interface RawStore {
  /** Writes a whole segment; readers see all of it or nothing (write aside, then rename). Never overwrites. */
  put(folder: DayFolder, name: string, content: AsyncIterable<string> | Iterable<string>): Promise<void>;
  /** The complete segments of a day, by name; empty when the day has none. */
  list(folder: DayFolder): Promise<string[]>;
  /** Opens a segment for reading; undefined when it is gone (compacted or expired since it was listed). */
  open(folder: DayFolder, name: string): Promise<Readable | undefined>;
  /** Removes segments; a segment already gone is not an error. */
  remove(folder: DayFolder, names: string[]): Promise<void>;
  /** The app ids with any data. */
  apps(): Promise<string[]>;
  /** The days of an app's kind that hold segments, in order. */
  days(appId: string, kind: RawKind): Promise<UtcDay[]>;
  /** Removes a whole day (retention). */
  removeDay(folder: DayFolder): Promise<void>;
  /** Removes what writers that died mid-write left aside, older than `olderThanMs`. */
  sweepAbandoned(olderThanMs: number): Promise<number>;
}
