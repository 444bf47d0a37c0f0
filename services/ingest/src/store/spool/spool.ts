import { mkdir, open, readdir, readFile, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  decodeBatch,
  decodeDelivered,
  decodeFrames,
  encodeBatch,
  encodeDelivered,
  FrameKind,
  frameAt,
  type SpoolRecord,
} from './spool-frame';

export class SpoolFullError extends Error {
  constructor(
    readonly maxBytes: number,
    /** The size of the frame that did not fit. */
    readonly frameBytes: number,
  ) {
    super(`the spool is full (${maxBytes} bytes)`);
    this.name = 'SpoolFullError';
  }
}

/** An accepted batch not yet in Kafka, by its place on disk (the records stay there, not in memory). */
export interface SpooledBatch {
  id: string;
  segment: number;
  offset: number;
  length: number;
  count: number;
  /**
   * The Kafka write this batch was spooled in place of, when it was still unanswered:
   * true once it was acknowledged after all. Replay waits for it, so a late ack never
   * makes the batch go out twice.
   */
  inFlight?: Promise<boolean>;
  /** Set once the batch reached Kafka; it then only waits to be dropped from the head of the list. */
  delivered?: boolean;
}

interface Segment {
  number: number;
  bytes: number;
  /** Batches of this segment not yet delivered. */
  waiting: number;
}

interface PendingWrite {
  frame: Buffer;
  batch?: Omit<SpooledBatch, 'segment' | 'offset' | 'length'>;
  done: (error?: Error) => void;
}

const SEGMENT_PATTERN = /^segment-(\d{12})\.spool$/;
const segmentName = (number: number): string => `segment-${String(number).padStart(12, '0')}.spool`;

export interface SpoolOptions {
  maxBytes: number;
  segmentBytes?: number;
}

/**
 * One directory of append-only segment files. Appends are grouped: every frame queued
 * while a write is under way goes out in the next write, with one fsync for all of
 * them, and each append resolves only after its fsync. Fully delivered segments are
 * deleted from the oldest on.
 */
export class Spool {
  private readonly segments: Segment[] = [];
  /**
   * Batches in acceptance order from `head` on; delivered ones are flagged and dropped
   * as the head passes them. NOTE: never spread this list into a call (`push(...list)`):
   * past ~125k elements the arguments overflow the stack with a RangeError.
   */
  private waiting: SpooledBatch[] = [];
  private head = 0;
  private waitingCount = 0;
  private waitingEventCount = 0;
  private tail?: { segment: Segment; handle: FileHandle };
  private nextSegment = 1;
  private nextBatch = 1;
  private compacting: Promise<void> = Promise.resolve();
  private queue: PendingWrite[] = [];
  private queuedBytes = 0;
  private pumping?: Promise<void>;
  private readonly segmentBytes: number;
  /** Bytes that did not form valid frames when the directory was opened. */
  skippedBytes = 0;

  private constructor(
    readonly dir: string,
    private readonly options: SpoolOptions,
  ) {
    this.segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
  }

  /** Opens a directory, finding the batches its earlier owner accepted and did not deliver. */
  static async open(dir: string, options: SpoolOptions): Promise<Spool> {
    const spool = new Spool(dir, options);
    await mkdir(dir, { recursive: true });
    const names = (await readdir(dir)).filter((name) => SEGMENT_PATTERN.test(name)).sort();
    const delivered = new Set<string>();
    const found: SpooledBatch[] = [];
    for (const name of names) {
      const number = Number(SEGMENT_PATTERN.exec(name)![1]);
      const buffer = await readFile(join(dir, name));
      const decoded = decodeFrames(buffer);
      spool.skippedBytes += decoded.skippedBytes;
      const segment: Segment = { number, bytes: buffer.length, waiting: 0 };
      spool.segments.push(segment);
      for (const frame of decoded.frames) {
        if (frame.kind === FrameKind.Batch) {
          const { id, records } = decodeBatch(frame.payload);
          found.push({ id, segment: number, offset: frame.offset, length: frame.length, count: records.length });
        } else {
          for (const id of decodeDelivered(frame.payload)) delivered.add(id);
        }
      }
      spool.nextSegment = number + 1;
    }
    // Markers always follow their batch, so one pass over everything sorts them out.
    for (const batch of found) if (!delivered.has(batch.id)) spool.addWaiting(batch, spool.segmentOf(batch.segment)!);
    await spool.compact();
    return spool;
  }

  /** Bytes on disk plus bytes queued for the disk. */
  get bytes(): number {
    return this.segments.reduce((sum, segment) => sum + segment.bytes, 0) + this.queuedBytes;
  }

  get waitingBatches(): number {
    return this.waitingCount;
  }

  get waitingEvents(): number {
    return this.waitingEventCount;
  }

  /** The size limit: an append that would pass it is refused with SpoolFullError. */
  get maxBytes(): number {
    return this.options.maxBytes;
  }

  get busy(): boolean {
    return this.queue.length > 0 || this.pumping !== undefined;
  }

  /** Writes the records durably (fsync'd) and resolves with their batch. */
  append(records: SpoolRecord[], inFlight?: Promise<boolean>): Promise<SpooledBatch> {
    const id = `${process.pid.toString(36)}.${Date.now().toString(36)}.${(this.nextBatch++).toString(36)}`;
    const frame = encodeBatch(id, records);
    if (this.bytes + frame.length > this.options.maxBytes)
      return Promise.reject(new SpoolFullError(this.options.maxBytes, frame.length));
    const batch = { id, count: records.length, inFlight } as SpooledBatch;
    return new Promise((resolve, reject) => {
      this.enqueue({ frame, batch, done: (error) => (error ? reject(error) : resolve(batch)) });
    });
  }

  /** The oldest batches not yet delivered, in order, at most `limit` of them. */
  peek(limit = Infinity): SpooledBatch[] {
    const batches: SpooledBatch[] = [];
    for (let i = this.head; i < this.waiting.length && batches.length < limit; i++) {
      if (!this.waiting[i].delivered) batches.push(this.waiting[i]);
    }
    return batches;
  }

  async read(batch: SpooledBatch): Promise<SpoolRecord[]> {
    const handle = await open(join(this.dir, segmentName(batch.segment)), 'r');
    try {
      const buffer = Buffer.allocUnsafe(batch.length);
      await handle.read(buffer, 0, batch.length, batch.offset);
      const frame = frameAt(buffer, 0);
      if (!frame) throw new Error(`spool frame ${batch.id} in ${this.dir} does not check out`);
      return decodeBatch(frame.payload).records;
    } finally {
      await handle.close();
    }
  }

  /**
   * Records that the batches reached Kafka; fully delivered segments go away. The mark is
   * written even for the last waiting batch: its segment may outlive it (a queued append
   * keeps the tail), and a restart must not send it again.
   */
  async markDelivered(batches: SpooledBatch[]): Promise<void> {
    const ids: string[] = [];
    for (const batch of batches) {
      if (batch.delivered) continue;
      const segment = this.segmentOf(batch.segment);
      if (!segment) continue;
      batch.delivered = true;
      segment.waiting--;
      this.waitingCount--;
      this.waitingEventCount -= batch.count;
      ids.push(batch.id);
    }
    if (ids.length === 0) return;
    while (this.head < this.waiting.length && this.waiting[this.head].delivered) this.head++;
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
    await new Promise<void>((resolve, reject) =>
      this.enqueue({ frame: encodeDelivered(ids), done: (error) => (error ? reject(error) : resolve()) }),
    );
    await this.compact();
  }

  /** Flushes what is queued and closes the files. */
  async close(): Promise<void> {
    while (this.pumping) await this.pumping;
    await this.closeTail();
  }

  /** True when nothing is left in the directory but what its owner put there besides segments. */
  get empty(): boolean {
    return this.waitingCount === 0 && this.segments.length === 0 && !this.busy;
  }

  async remove(): Promise<void> {
    await this.close();
    await rm(this.dir, { recursive: true, force: true });
  }

  private addWaiting(batch: SpooledBatch, segment: Segment): void {
    this.waiting.push(batch);
    segment.waiting++;
    this.waitingCount++;
    this.waitingEventCount += batch.count;
  }

  private segmentOf(number: number): Segment | undefined {
    return this.segments.find((segment) => segment.number === number);
  }

  private enqueue(write: PendingWrite): void {
    this.queue.push(write);
    this.queuedBytes += write.frame.length;
    this.pumping ??= this.pump();
  }

  /**
   * Clears `pumping` in the same synchronous step in which it finds the queue empty: an
   * append resumed by the last `done()` must never see a pump that is about to end.
   */
  private async pump(): Promise<void> {
    for (;;) {
      if (this.queue.length === 0) {
        this.pumping = undefined;
        return;
      }
      const writes = this.queue;
      this.queue = [];
      try {
        const tail = await this.openTail();
        let offset = tail.segment.bytes;
        const frames = writes.map((write) => write.frame);
        const size = frames.reduce((sum, frame) => sum + frame.length, 0);
        await writeAll(tail.handle, frames, offset);
        await tail.handle.datasync();
        tail.segment.bytes += size;
        this.queuedBytes -= size;
        for (const write of writes) {
          if (write.batch) {
            const batch = Object.assign(write.batch, {
              segment: tail.segment.number,
              offset,
              length: write.frame.length,
            }) as SpooledBatch;
            this.addWaiting(batch, tail.segment);
          }
          offset += write.frame.length;
        }
        for (const write of writes) write.done();
      } catch (error) {
        this.queuedBytes -= writes.reduce((sum, write) => sum + write.frame.length, 0);
        // The tail may now end in a torn frame; readers skip it, and new frames go to a fresh segment.
        await this.closeTail().catch(() => undefined);
        for (const write of writes) write.done(error as Error);
      }
    }
  }

  private async openTail(): Promise<{ segment: Segment; handle: FileHandle }> {
    if (this.tail && this.tail.segment.bytes >= this.segmentBytes) await this.closeTail();
    if (!this.tail) {
      const number = this.nextSegment++;
      const handle = await open(join(this.dir, segmentName(number)), 'wx');
      await syncDirectory(this.dir);
      const segment: Segment = { number, bytes: 0, waiting: 0 };
      this.segments.push(segment);
      this.tail = { segment, handle };
    }
    return this.tail;
  }

  private async closeTail(): Promise<void> {
    const tail = this.tail;
    this.tail = undefined;
    await tail?.handle.close();
  }

  /** Deletes delivered segments from the oldest on; the tail too once nothing waits and nothing is being written. */
  private compact(): Promise<void> {
    const run = this.compacting.then(() => this.compactNow());
    this.compacting = run.catch(() => undefined);
    return run;
  }

  private async compactNow(): Promise<void> {
    while (this.segments.length > 0) {
      const oldest = this.segments[0];
      if (oldest.waiting > 0) return;
      if (this.tail?.segment === oldest) {
        if (this.waitingCount > 0 || this.busy) return;
        await this.closeTail();
      }
      this.segments.shift();
      await rm(join(this.dir, segmentName(oldest.number)), { force: true });
    }
  }
}

async function writeAll(handle: FileHandle, frames: Buffer[], position: number): Promise<void> {
  let remaining = frames;
  let at = position;
  while (remaining.length > 0) {
    const { bytesWritten } = await handle.writev(remaining, at);
    at += bytesWritten;
    remaining = skipBytes(remaining, bytesWritten);
  }
}

function skipBytes(buffers: Buffer[], count: number): Buffer[] {
  const rest: Buffer[] = [];
  let left = count;
  for (const buffer of buffers) {
    if (left >= buffer.length) {
      left -= buffer.length;
      continue;
    }
    rest.push(left > 0 ? buffer.subarray(left) : buffer);
    left = 0;
  }
  return rest;
}

/** A new segment's name must survive a crash as well as its contents. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function directoryExists(dir: string): Promise<boolean> {
  return stat(dir).then(
    (info) => info.isDirectory(),
    () => false,
  );
}
