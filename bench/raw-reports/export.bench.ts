/**
 * bench/raw-reports export: 1,000,000 click rows of one app over 10 days (8 sorted segments
 * a day, as before compaction) exported as CSV through the service's own export pipeline
 * (k-way merge with dedupe, JSON parse, csv-stringify), against the baseline of streaming
 * the same segment files from disk untransformed, in the same run. Each round of each mode
 * runs in a fresh child process, to measure its peak RSS. Goals: export time within
 * 1 / 0.3 of the baseline's; peak RSS under 150 MB.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { placeRow, type RawRow } from '@mmp/raw-reports/dist/domain/raw-row';
import { FsRawStore } from '@mmp/raw-reports/dist/store/fs-raw-store';
import type { RawStore } from '@mmp/raw-reports/dist/store/raw-store';
import { S3RawStore } from '@mmp/raw-reports/dist/store/s3-raw-store';
import { readLake } from '@mmp/raw-reports/dist/store/raw-lake';
import { csvExport } from '@mmp/raw-reports/dist/http/export-body';

const ROWS = Number(process.env.BENCH_RAW_ROWS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_RAW_ROUNDS ?? 3);
const DAYS = 10;
const SEGMENTS_PER_DAY = 8;
const APP = 'com.example.bench';
const ROOT = resolve(__dirname, '..', '..', '..');
const FIRST_DAY = Date.UTC(2026, 10, 1);
const days = Array.from({ length: DAYS }, (_, at) => new Date(FIRST_DAY + at * 86_400_000).toISOString().slice(0, 10));

/** The S3-compatible store `infra/infra.sh start s3` runs (SeaweedFS); the lake is copied there under a prefix of its own. */
const s3Store = (): S3RawStore =>
  new S3RawStore({
    endpoint: process.env.S3_ENDPOINT ?? 'http://127.0.0.1:8333',
    region: 'us-east-1',
    bucket: 'mmp-raw-lake-bench',
    prefix: `bench-${ROWS}`,
    accessKeyId: process.env.S3_ACCESS_KEY_ID ?? 'mmp',
    secretAccessKey: process.env.S3_SECRET_ACCESS_KEY ?? 'mmp-secret-key',
  });

interface Round {
  mode: 'export-csv' | 'export-csv-s3' | 'disk';
  rows: number;
  bytesRead: number;
  bytesOut: number;
  ms: number;
  peakRssBytes: number;
  /** RSS once the modules are loaded, before the first row: what the export itself adds is the difference. */
  rssBeforeBytes: number;
}

async function buildLake(root: string): Promise<void> {
  const store = new FsRawStore(root);
  const perSegment = Math.ceil(ROWS / DAYS / SEGMENTS_PER_DAY);
  let index = 0;
  for (const day of days)
    for (let segment = 0; segment < SEGMENTS_PER_DAY; segment++) {
      const lines: { key: string; line: string }[] = [];
      for (let at = 0; at < perSegment && index < ROWS; at++, index++) {
        const time = new Date(Date.parse(`${day}T00:00:00.000Z`) + Math.floor(Math.random() * 86_400_000)).toISOString();
        const placement = placeRow({
          schema: 'mmp.event/1',
          event_id: `evt_${index.toString(36).padStart(10, '0')}_bench`,
          app_id: APP,
          type: 'click',
          event_time: time,
          received_at: time,
          ip: `10.${index % 256}.${(index >> 8) % 256}.7`,
          user_agent:
            'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile, "quoted"',
          device: { platform: 'android', advertising_id: `a1b2c3d4-0000-4000-8000-${index.toString(16).padStart(12, '0')}` },
          click: {
            media_source: 'network_a',
            campaign: `campaign_${index % 40}`,
            adset: null,
            ad: 'ad_7',
            site_id: 'site_3',
            click_id: `ck_${index}`,
          },
          event_name: null,
          revenue: null,
          currency: null,
          app_version: null,
          customer_user_id: null,
        });
        if (placement.kind !== 'row') throw new Error('not a row');
        lines.push({
          key: placement.placed.time + placement.placed.eventId,
          line: JSON.stringify(placement.placed.row as RawRow),
        });
      }
      lines.sort((a, b) => (a.key < b.key ? -1 : 1));
      await store.put(
        { appId: APP, kind: 'clicks', day },
        `seed+${segment}.jsonl`,
        lines.map(({ line }) => `${line}\n`),
      );
    }
}

/** A sink that only counts, as a fast client would read. */
function countingSink(): Writable & { bytes: number } {
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      sink.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      done();
    },
  }) as Writable & { bytes: number };
  sink.bytes = 0;
  return sink;
}

async function child(mode: Round['mode'], root: string): Promise<void> {
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const store: RawStore = mode === 'export-csv-s3' ? s3Store() : new FsRawStore(root);
  const sink = countingSink();
  const started = performance.now();
  let rows = 0;
  let bytesRead = 0;
  if (mode === 'export-csv' || mode === 'export-csv-s3') {
    async function* counted() {
      for await (const block of readLake(store, APP, 'clicks', days)) {
        rows += block.length;
        for (const line of block) bytesRead += line.line.length + 1;
        yield block;
      }
    }
    await pipeline(csvExport('clicks', counted()), sink);
  } else {
    for (const day of days)
      for (const name of await store.list({ appId: APP, kind: 'clicks', day })) {
        const path = join(root, APP, 'clicks', ...day.split('-'), name);
        const out = countingSink();
        await pipeline(createReadStream(path, { highWaterMark: 64 * 1024 }), out);
        sink.bytes += out.bytes;
      }
    bytesRead = sink.bytes;
  }
  const ms = performance.now() - started;
  clearInterval(sampler);
  peak = Math.max(peak, process.resourceUsage().maxRSS * 1024);
  const round: Round = { mode, rows, bytesRead, bytesOut: sink.bytes, ms, peakRssBytes: peak, rssBeforeBytes: rssBefore };
  process.stdout.write(JSON.stringify(round));
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3] as Round['mode'], process.argv[4]);
  const root = join(tmpdir(), `mmp-raw-bench-${ROWS}`);
  if (!existsSync(join(root, APP))) {
    process.stdout.write(`building a lake of ${ROWS} rows in ${root}\n`);
    await buildLake(root);
  }
  // The same segments in S3, once per lake size.
  const s3 = s3Store();
  const fs = new FsRawStore(root);
  for (const day of days) {
    const folder = { appId: APP, kind: 'clicks' as const, day };
    const present = new Set(await s3.list(folder));
    for (const name of await fs.list(folder)) {
      if (present.has(name)) continue;
      const { linesOf } = await import('@mmp/raw-reports/dist/store/segment-merge');
      async function* lines() {
        for await (const block of linesOf((await fs.open(folder, name))!)) for (const line of block) yield `${line}\n`;
      }
      await s3.put(folder, name, lines());
    }
  }
  const rounds: Round[] = [];
  for (let round = 1; round <= ROUNDS; round++)
    for (const mode of ['disk', 'export-csv', 'export-csv-s3'] as const) {
      const result = JSON.parse(
        execFileSync(process.execPath, [__filename, '--child', mode, root], { encoding: 'utf8' }),
      ) as Round;
      rounds.push(result);
      process.stdout.write(
        `round ${round} ${mode}: ${Math.round(result.ms)} ms, ${Math.round(result.bytesRead / 1e6)} MB read, RSS ${Math.round(result.rssBeforeBytes / 1e6)} MB before, ${Math.round(result.peakRssBytes / 1e6)} MB peak\n`,
      );
    }
  const of = (mode: Round['mode']) => rounds.filter((round) => round.mode === mode);
  const exportMs = median(of('export-csv').map((round) => round.ms));
  const diskMs = median(of('disk').map((round) => round.ms));
  const s3Ms = median(of('export-csv-s3').map((round) => round.ms));
  const bytes = of('disk')[0].bytesRead;
  const exportPeakMB = Math.round(Math.max(...of('export-csv').map((round) => round.peakRssBytes)) / 1e6);
  const summary = {
    headline: {
      measure: 'CSV export of the raw lake (local disk) against streaming the same segment files from disk',
      unit: 'rows/s',
      value: Math.round((ROWS / exportMs) * 1000),
      baseline: Math.round((ROWS / diskMs) * 1000),
      ratio: +(diskMs / exportMs).toFixed(3),
      goal: 'ratio >= 0.3 and peak RSS < 150 MB',
      met: diskMs / exportMs >= 0.3 && exportPeakMB < 150,
      rounds: ROUNDS,
      peak_rss_mb: exportPeakMB,
      spread_ms: [
        Math.round(Math.min(...of('export-csv').map((r) => r.ms))),
        Math.round(Math.max(...of('export-csv').map((r) => r.ms))),
      ],
    },
    rows: ROWS,
    days: DAYS,
    segmentsPerDay: SEGMENTS_PER_DAY,
    lakeBytes: bytes,
    exportCsv: {
      medianMs: Math.round(exportMs),
      rowsPerSecond: Math.round((ROWS / exportMs) * 1000),
      lakeMBPerSecond: +(bytes / 1e6 / (exportMs / 1000)).toFixed(1),
      csvBytes: of('export-csv')[0].bytesOut,
      peakRssMB: Math.round(Math.max(...of('export-csv').map((round) => round.peakRssBytes)) / 1e6),
      rssBeforeMB: Math.round(of('export-csv')[0].rssBeforeBytes / 1e6),
    },
    diskBaseline: {
      medianMs: Math.round(diskMs),
      MBPerSecond: +(bytes / 1e6 / (diskMs / 1000)).toFixed(1),
      peakRssMB: Math.round(Math.max(...of('disk').map((round) => round.peakRssBytes)) / 1e6),
      rssBeforeMB: Math.round(of('disk')[0].rssBeforeBytes / 1e6),
    },
    ratio: +(diskMs / exportMs).toFixed(3),
    goals: { ratioAtLeast: 0.3, peakRssUnderMB: 150 },
    /** The same export with the lake in S3 (SeaweedFS on loopback), in the same run. */
    exportCsvS3: {
      medianMs: Math.round(s3Ms),
      rowsPerSecond: Math.round((ROWS / s3Ms) * 1000),
      peakRssMB: Math.round(Math.max(...of('export-csv-s3').map((round) => round.peakRssBytes)) / 1e6),
      ratioToLocalExport: +(exportMs / s3Ms).toFixed(3),
      spreadMs: [
        Math.round(Math.min(...of('export-csv-s3').map((r) => r.ms))),
        Math.round(Math.max(...of('export-csv-s3').map((r) => r.ms))),
      ],
    },
    rounds,
    at: new Date().toISOString(),
  };
  const results = resolve(ROOT, 'bench', 'results');
  mkdirSync(results, { recursive: true });
  writeFileSync(join(results, 'raw-reports-export.json'), `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify({ ...summary, rounds: undefined }, null, 2)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
