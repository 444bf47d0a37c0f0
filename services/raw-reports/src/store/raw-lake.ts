import type { Logger, Metrics } from '@mmp/common';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { RAW_KINDS, type PlacedRow, type RawKind } from '../domain/raw-row';
import { sortSegment, type OrderedLine } from '../domain/row-order';
import { dayOfMs, isExpired, type UtcDay } from '../domain/utc-day';
import type { EventIdIndex } from './event-id-index';
import type { DayFolder, RawStore } from './raw-store';
import { linesOf, mergeSegments } from './segment-merge';

export interface SourceRange {
  topic: string;
  partition: number;
  firstOffset: string;
  lastOffset: string;
}

export interface LakeOptions {
  retentionDays: number;
  compactMinSegments: number;
  logger: Logger;
  metrics?: Metrics;
  now?: () => number;
}

/** Segments merged by one compaction at most; a day with more is compacted over several rounds. */
const MAX_COMPACTION_INPUTS = 256;
const COMPACTION_LEASE_MS = 120_000;

const folderKey = (folder: DayFolder): string => `${folder.appId}/${folder.kind}/${folder.day}`;
const unique = (): string => `${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;

/**
 * The raw-data lake: rows filed per app, kind and UTC day in immutable sorted segments,
 * each event_id written once (the index), read back merged in time order with copies
 * dropped (the last defence), compacted and expired in the background.
 */
export class RawLake {
  private readonly touched = new Map<string, DayFolder>();
  private readonly now: () => number;

  constructor(
    private readonly store: RawStore,
    private readonly index: EventIdIndex,
    private readonly options: LakeOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Files the rows of one slice of a partition. Resolves once every new row is durable in
   * its segment and indexed; throws when the store or Redis is down (the slice is retried).
   */
  async write(source: SourceRange, rows: PlacedRow[]): Promise<{ written: number; duplicates: number; expired: number }> {
    const today = dayOfMs(this.now());
    const groups = new Map<string, { folder: DayFolder; lines: OrderedLine[] }>();
    let expired = 0;
    for (const placed of rows) {
      if (isExpired(placed.day, today, this.options.retentionDays)) {
        expired++;
        continue;
      }
      const folder = { appId: placed.appId, kind: placed.kind, day: placed.day };
      const key = folderKey(folder);
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { folder, lines: [] }));
      group.lines.push({ key: placed.time + placed.eventId, eventId: placed.eventId, line: JSON.stringify(placed.row) });
    }
    const segments = [...groups.values()].map(({ folder, lines }) => ({ folder, lines: sortSegment(lines) }));
    const known = await this.index.known(
      segments.map(({ folder, lines }) => ({ folder, ids: lines.map((line) => line.eventId) })),
    );
    const fresh = segments
      .map(({ folder, lines }, at) => ({ folder, lines: lines.filter((_, position) => !known[at][position]) }))
      .filter(({ lines }) => lines.length > 0);
    const name = `${source.topic}+${source.partition}+${source.firstOffset}-${source.lastOffset}+${unique()}.jsonl`;
    await Promise.all(
      fresh.map(({ folder, lines }) =>
        this.store.put(
          folder,
          name,
          lines.map((line) => `${line.line}\n`),
        ),
      ),
    );
    await this.index.add(fresh.map(({ folder, lines }) => ({ folder, ids: lines.map((line) => line.eventId) })));
    for (const { folder } of fresh) this.touched.set(folderKey(folder), folder);
    const written = fresh.reduce((sum, { lines }) => sum + lines.length, 0);
    const duplicates = rows.length - expired - written;
    this.options.metrics?.increment('raw.rows_written', written);
    if (duplicates > 0) this.options.metrics?.increment('raw.rows_duplicate', duplicates);
    if (expired > 0) this.options.metrics?.increment('raw.rows_expired', expired);
    return { written, duplicates, expired };
  }

  /** The rows of some days of an app's kind, in time order, each event once. */
  read(appId: string, kind: RawKind, days: UtcDay[]): AsyncGenerator<OrderedLine[]> {
    return readLake(this.store, appId, kind, days);
  }

  /** Merges a day's segments into one, when it has at least `minSegments`. Another instance holding the day's lease skips it. */
  async compact(folder: DayFolder, minSegments = this.options.compactMinSegments): Promise<number> {
    const names = (await this.store.list(folder)).slice(0, MAX_COMPACTION_INPUTS);
    if (names.length < minSegments) return 0;
    const release = await this.index.lease(folder, COMPACTION_LEASE_MS);
    if (!release) return 0;
    try {
      const opened: { name: string; stream: Readable }[] = [];
      for (const name of await this.store.list(folder)) {
        if (opened.length >= MAX_COMPACTION_INPUTS) break;
        const stream = await this.store.open(folder, name);
        if (stream) opened.push({ name, stream });
      }
      if (opened.length < 2) {
        for (const { stream } of opened) stream.destroy();
        return 0;
      }
      const merged = mergeSegments(opened.map(({ stream }) => linesOf(stream)));
      await this.store.put(folder, `compact+${unique()}.jsonl`, mapLines(merged));
      // A crash here leaves inputs and output side by side: the read-time merge drops the copies.
      await this.store.remove(
        folder,
        opened.map(({ name }) => name),
      );
      this.options.metrics?.increment('raw.compactions');
      return opened.length;
    } finally {
      await release();
    }
  }

  /** Compacts the days written to since the last call. */
  async compactTouched(): Promise<void> {
    const folders = [...this.touched.values()];
    this.touched.clear();
    for (const folder of folders) {
      try {
        await this.compact(folder);
      } catch (error) {
        this.touched.set(folderKey(folder), folder);
        this.options.logger.warn({ err: (error as Error).message, folder }, 'compaction_failed');
      }
    }
  }

  /** Deletes the days past retention, compacts the fragmented days left, and sweeps what dead writers left aside. */
  async maintain(): Promise<{ expiredDays: number; abandoned: number }> {
    const today = dayOfMs(this.now());
    let expiredDays = 0;
    for (const appId of await this.store.apps())
      for (const kind of RAW_KINDS)
        for (const day of await this.store.days(appId, kind)) {
          const folder = { appId, kind, day };
          if (isExpired(day, today, this.options.retentionDays)) {
            await this.store.removeDay(folder);
            expiredDays++;
          } else {
            await this.compact(folder).catch((error) =>
              this.options.logger.warn({ err: (error as Error).message, folder }, 'compaction_failed'),
            );
          }
        }
    const abandoned = await this.store.sweepAbandoned(10 * 60_000);
    if (expiredDays > 0 || abandoned > 0) this.options.logger.info({ expiredDays, abandoned }, 'lake_maintained');
    return { expiredDays, abandoned };
  }
}

async function* mapLines(blocks: AsyncIterable<OrderedLine[]>): AsyncGenerator<string> {
  for await (const block of blocks) {
    let text = '';
    for (const row of block) text += `${row.line}\n`;
    yield text;
  }
}

/** The rows of some days of an app's kind, in time order, each event once; nothing held but one line per segment. */
export async function* readLake(store: RawStore, appId: string, kind: RawKind, days: UtcDay[]): AsyncGenerator<OrderedLine[]> {
  for (const day of days) {
    const streams = await openDay(store, { appId, kind, day });
    if (streams.length === 0) continue;
    yield* mergeSegments(streams.map((stream) => linesOf(stream)));
  }
}

/**
 * Opens every segment of a day before reading any: a compaction that removes one after
 * this point does not matter (it stays open), and one removed before is noticed here,
 * so the listing is taken again and the compacted output is read instead.
 */
async function openDay(store: RawStore, folder: DayFolder): Promise<Readable[]> {
  for (let attempt = 0; ; attempt++) {
    const names = await store.list(folder);
    const streams = await Promise.all(names.map((name) => store.open(folder, name)));
    const open = streams.filter((stream): stream is Readable => stream !== undefined);
    if (open.length === names.length || attempt >= 5) return open;
    for (const stream of open) stream.destroy();
  }
}
