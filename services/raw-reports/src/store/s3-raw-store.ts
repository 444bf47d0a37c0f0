import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  NoSuchKey,
  S3Client,
  type ListObjectsV2CommandOutput,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { APP_ID_PATTERN } from '@mmp/common';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Readable } from 'node:stream';
import { RAW_KINDS, type RawKind } from '../domain/raw-row';
import type { UtcDay } from '../domain/utc-day';
import type { DayFolder, RawStore } from './raw-store';

const SEGMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9+._=-]{0,200}\.jsonl$/;
/** Parts of a multipart upload: at most this much of a segment is in memory while it is written. */
const PART_BYTES = 8 * 1024 * 1024;
/**
 * An export opens every segment of a day before reading any (so compaction cannot pull one
 * away mid-read), and each open GetObject holds its connection until its body is read. With
 * the SDK's default of 50 sockets, a day of more than 50 segments would wait for a socket
 * that only its own later reads free: a deadlock until a timeout. Compaction keeps days far
 * below this bound.
 */
const MAX_SOCKETS = 2048;
/** DeleteObjects takes at most 1,000 keys a call. */
const DELETE_BATCH = 1000;

export interface S3RawStoreOptions {
  endpoint?: string;
  region: string;
  bucket: string;
  /** Every key starts with it (a shadow instance's own prefix, or one bucket shared by several lakes). */
  prefix?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Path-style URLs (`<endpoint>/<bucket>/<key>`), as SeaweedFS and MinIO serve them. */
  forcePathStyle?: boolean;
}

/**
 * The lake in an S3-compatible bucket, with the same layout as on disk:
 * `[<prefix>/]<app_id>/<kind>/<yyyy>/<mm>/<dd>/<segment>.jsonl`.
 *
 * A PUT (or a completed multipart upload) is atomic: a reader lists and reads a whole
 * segment or nothing, and a writer killed mid-upload leaves no object (an unfinished
 * multipart upload is aborted by the SDK, or expires by the bucket's lifecycle rule).
 * Segment names are unique per write (see RawLake), so nothing is overwritten and no
 * rename or append is needed: exactly-once rests on the names, the event_id index and the
 * merge at read, as on disk. Days are prefixes, so every listing is one folder's keys.
 */
export class S3RawStore implements RawStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private bucketReady?: Promise<void>;

  constructor(options: S3RawStoreOptions) {
    this.client = new S3Client({
      endpoint: options.endpoint,
      region: options.region,
      forcePathStyle: options.forcePathStyle ?? true,
      credentials:
        options.accessKeyId && options.secretAccessKey
          ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey }
          : undefined,
      // The consumer retries a failed slice with backoff; the SDK need not insist for long.
      maxAttempts: 3,
      requestHandler: {
        httpAgent: new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
        httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
        connectionTimeout: 5_000,
      },
    });
    this.bucket = options.bucket;
    this.prefix = options.prefix ? `${options.prefix.replace(/\/+$/, '')}/` : '';
  }

  async put(folder: DayFolder, name: string, content: AsyncIterable<string> | Iterable<string>): Promise<void> {
    await this.ensureBucket();
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: this.folderKey(folder) + checkedName(name),
        Body: Readable.from(encoded(content)),
        ContentType: 'application/x-ndjson',
      },
      partSize: PART_BYTES,
      queueSize: 1,
      leavePartsOnError: false,
    });
    await upload.done();
  }

  async list(folder: DayFolder): Promise<string[]> {
    const prefix = this.folderKey(folder);
    const names: string[] = [];
    for await (const page of this.pages(prefix)) {
      for (const object of page.Contents ?? []) {
        const name = object.Key!.slice(prefix.length);
        if (SEGMENT_NAME.test(name)) names.push(name);
      }
    }
    return names.sort();
  }

  async open(folder: DayFolder, name: string): Promise<Readable | undefined> {
    try {
      const object = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.folderKey(folder) + checkedName(name) }),
      );
      return object.Body as Readable;
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  async remove(folder: DayFolder, names: string[]): Promise<void> {
    const prefix = this.folderKey(folder);
    await this.deleteKeys(names.map((name) => prefix + checkedName(name)));
  }

  async apps(): Promise<string[]> {
    return (await this.childFolders(this.prefix)).filter((name) => APP_ID_PATTERN.test(name)).sort();
  }

  async days(appId: string, kind: RawKind): Promise<UtcDay[]> {
    const base = this.kindKey(appId, kind);
    const days: UtcDay[] = [];
    for (const year of (await this.childFolders(base)).filter((name) => /^\d{4}$/.test(name)).sort())
      for (const month of (await this.childFolders(`${base}${year}/`)).filter((name) => /^\d{2}$/.test(name)).sort())
        for (const day of (await this.childFolders(`${base}${year}/${month}/`)).filter((name) => /^\d{2}$/.test(name)).sort())
          // Some stores (SeaweedFS's filer) keep a folder after its last object is deleted.
          if (await this.holdsObjects(`${base}${year}/${month}/${day}/`)) days.push(`${year}-${month}-${day}`);
    return days;
  }

  async removeDay(folder: DayFolder): Promise<void> {
    const prefix = this.folderKey(folder);
    const keys: string[] = [];
    for await (const page of this.pages(prefix, false)) for (const object of page.Contents ?? []) keys.push(object.Key!);
    await this.deleteKeys(keys);
  }

  /** Nothing is ever left aside: an upload that did not complete is no object. */
  async sweepAbandoned(): Promise<number> {
    return 0;
  }

  /** Creates the bucket on first use, so a fresh object store needs no set-up step. */
  private ensureBucket(): Promise<void> {
    this.bucketReady ??= (async () => {
      try {
        await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      } catch {
        await this.client.send(new CreateBucketCommand({ Bucket: this.bucket })).catch((error: { name?: string }) => {
          if (error.name !== 'BucketAlreadyOwnedByYou' && error.name !== 'BucketAlreadyExists') throw error;
        });
      }
    })().catch((error) => {
      this.bucketReady = undefined;
      throw error;
    });
    return this.bucketReady;
  }

  private async deleteKeys(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      const result = await this.client.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
      );
      const failed = (result.Errors ?? []).filter((error) => error.Code !== 'NoSuchKey');
      if (failed.length > 0)
        throw new Error(`deleting ${failed.length} object(s) failed: ${failed[0].Code} ${failed[0].Message}`);
    }
  }

  private async holdsObjects(prefix: string): Promise<boolean> {
    const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, MaxKeys: 1 }));
    return (page.KeyCount ?? page.Contents?.length ?? 0) > 0;
  }

  /** The names of the folders right under a prefix. */
  private async childFolders(prefix: string): Promise<string[]> {
    const names: string[] = [];
    for await (const page of this.pages(prefix))
      for (const common of page.CommonPrefixes ?? []) names.push(common.Prefix!.slice(prefix.length).replace(/\/$/, ''));
    return names;
  }

  private async *pages(prefix: string, folderOnly = true): AsyncGenerator<ListObjectsV2CommandOutput> {
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            Delimiter: folderOnly ? '/' : undefined,
            ContinuationToken: token,
          }),
        );
      } catch (error) {
        // A bucket that was never written to holds nothing yet.
        if ((error as { name?: string }).name === 'NoSuchBucket') return;
        throw error;
      }
      yield page;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  private kindKey(appId: string, kind: RawKind): string {
    if (!APP_ID_PATTERN.test(appId) || !(RAW_KINDS as readonly string[]).includes(kind))
      throw new Error(`not a lake folder: ${appId}/${kind}`);
    return `${this.prefix}${appId}/${kind}/`;
  }

  private folderKey(folder: DayFolder): string {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(folder.day)) throw new Error(`not a day: ${folder.day}`);
    const [year, month, day] = folder.day.split('-');
    return `${this.kindKey(folder.appId, folder.kind)}${year}/${month}/${day}/`;
  }
}

function checkedName(name: string): string {
  if (!SEGMENT_NAME.test(name)) throw new Error(`not a segment name: ${name}`);
  return name;
}

/** Strings gathered into buffers of about a part's size, so the upload sees few, large chunks. */
async function* encoded(content: AsyncIterable<string> | Iterable<string>): AsyncGenerator<Buffer> {
  let block = '';
  for await (const text of content) {
    block += text;
    if (block.length >= 256 * 1024) {
      yield Buffer.from(block);
      block = '';
    }
  }
  if (block.length > 0) yield Buffer.from(block);
}
