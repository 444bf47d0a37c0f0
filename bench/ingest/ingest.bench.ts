import { createLogger, KafkajsStreamClient, TOPICS, type StreamAdmin } from '@mmp/common';
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
// autocannon ships no types; this is the one call used.
const autocannon = require('autocannon') as (options: Record<string, unknown>) => Promise<AutocannonResult>;

interface AutocannonResult {
  duration: number;
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  '2xx': number;
}

const ROOT = resolve(__dirname, '..', '..', '..');
const CONSUL = process.env.CONSUL_HTTP_ADDR
  ? `http://${process.env.CONSUL_HTTP_ADDR.replace(/^https?:\/\//, '')}`
  : 'http://127.0.0.1:8500';
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const WARMUP_S = 3;
const ROUNDS = 3;

interface Scenario {
  name: string;
  eventsPerRequest: number;
  connections: number;
  /** One device and 512-character user agents for every event: issue 14's case of a batch over Kafka's message limit. */
  longUserAgents?: boolean;
}

const SCENARIOS: Scenario[] = [
  { name: 'single events', eventsPerRequest: 1, connections: 64 },
  { name: '100-event batches', eventsPerRequest: 100, connections: 16 },
  { name: '1000-event long-UA batches', eventsPerRequest: 1000, connections: 4, longUserAgents: true },
];

interface Round {
  /** Events found in Kafka: the growth of the topic's end offsets over the run (the bench holds the topic alone). */
  eventsInKafka: number;
  /** Events the target answered 2xx for. */
  eventsAnswered: number;
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

interface Measured {
  target: 'ingest' | 'baseline';
  scenario: string;
  eventsPerRequest: number;
  connections: number;
  /** Median of the rounds, counted from Kafka's offsets. */
  eventsPerSecond: number;
  spread: { min: number; max: number };
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  /** Every event answered 2xx was found in Kafka, in every round. */
  allInKafka: boolean;
  rounds: Round[];
}

/** A body of `count` valid installs whose event_ids are unique per request (ingest would count repeats as duplicates). */
function bodyFactory(count: number, longUserAgents = false): () => string {
  const run = randomBytes(4).toString('hex');
  const userAgent = longUserAgents ? `,"user_agent":"${'U'.repeat(512)}"` : '';
  let sequence = 0;
  return () => {
    const request = (sequence++).toString(36);
    const now = new Date().toISOString();
    const events = [];
    for (let i = 0; i < count; i++) {
      const device = longUserAgents ? `bench-one-device-${run}` : `bench-${request}-${i}`;
      events.push(
        `{"event_id":"b${run}_${request}_${i}","type":"install","event_time":"${now}","device":{"platform":"android","advertising_id":"${device}"},"app_version":"1.0.0"${userAgent}}`,
      );
    }
    return count === 1 ? events[0] : `{"events":[${events.join(',')}]}`;
  };
}

function startChild(script: string, env: Record<string, string>, ready: RegExp): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`${script} did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = output.match(ready);
      if (match) {
        clearTimeout(timer);
        done({ child, port: Number(match[1]) });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => fail(new Error(`${script} exited with ${code}:\n${output}`)));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await exited;
}

async function load(url: string, appId: string, sdkKey: string, scenario: Scenario, seconds: number): Promise<AutocannonResult> {
  const body = bodyFactory(scenario.eventsPerRequest, scenario.longUserAgents);
  return autocannon({
    url,
    connections: scenario.connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: `/v1/apps/${appId}/events`,
        headers: { 'content-type': 'application/json', 'x-sdk-key': sdkKey },
        setupRequest: (request: Record<string, unknown>) => ({ ...request, body: body() }),
      },
    ],
  });
}

async function endOffsetSum(admin: StreamAdmin): Promise<number> {
  return (await admin.endOffsets(TOPICS.raw)).reduce((sum, { offset }) => sum + Number(offset), 0);
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function measure(
  target: Measured['target'],
  url: string,
  appId: string,
  sdkKey: string,
  scenario: Scenario,
  admin: StreamAdmin,
): Promise<Measured> {
  await load(url, appId, sdkKey, scenario, WARMUP_S);
  const rounds: Round[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const before = await endOffsetSum(admin);
    const result = await load(url, appId, sdkKey, scenario, DURATION_S);
    // Every 2xx followed Kafka's ack (or the spool), so the offsets already hold what was answered.
    const eventsInKafka = (await endOffsetSum(admin)) - before;
    rounds.push({
      eventsInKafka,
      eventsAnswered: result['2xx'] * scenario.eventsPerRequest,
      eventsPerSecond: Math.round(Math.min(eventsInKafka, result['2xx'] * scenario.eventsPerRequest) / DURATION_S),
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors + result.timeouts,
    });
  }
  const rates = rounds.map((round) => round.eventsPerSecond);
  const measured: Measured = {
    target,
    scenario: scenario.name,
    eventsPerRequest: scenario.eventsPerRequest,
    connections: scenario.connections,
    eventsPerSecond: median(rates),
    spread: { min: Math.min(...rates), max: Math.max(...rates) },
    p50Ms: median(rounds.map((round) => round.p50Ms)),
    p99Ms: median(rounds.map((round) => round.p99Ms)),
    non2xx: rounds.reduce((sum, round) => sum + round.non2xx, 0),
    errors: rounds.reduce((sum, round) => sum + round.errors, 0),
    allInKafka: rounds.every((round) => round.eventsInKafka >= round.eventsAnswered),
    rounds,
  };
  process.stderr.write(
    `[bench] ${target.padEnd(8)} ${scenario.name.padEnd(27)} ${String(measured.eventsPerSecond).padStart(7)} events/s in Kafka (${measured.spread.min}..${measured.spread.max})  p50 ${measured.p50Ms} ms  p99 ${measured.p99Ms} ms  non-2xx ${measured.non2xx}  errors ${measured.errors}  all in Kafka: ${measured.allInKafka}\n`,
  );
  return measured;
}

async function main(): Promise<void> {
  const appId = `com.bench.ingest-${Date.now().toString(36)}`;
  const sdkKey = `k_${randomBytes(12).toString('hex')}`;
  const record = { app_id: appId, sdk_key: sdkKey, api_token_sha256: '0'.repeat(64), store_url: null };
  await fetch(`${CONSUL}/v1/kv/mmp/apps/${appId}`, { method: 'PUT', body: JSON.stringify(record) });

  const spoolDir = mkdtempSync(join(tmpdir(), 'mmp-bench-spool-'));
  const ingest = await startChild(
    resolve(ROOT, 'services/ingest/dist/main.js'),
    { PORT: '0', LOG_LEVEL: 'info', SPOOL_DIR: spoolDir, KAFKAJS_NO_PARTITIONER_WARNING: '1' },
    /"port":(\d+)[^\n]*started"/,
  );
  const baseline = await startChild(
    resolve(__dirname, 'baseline-server.js'),
    { KAFKAJS_NO_PARTITIONER_WARNING: '1' },
    /listening (\d+)/,
  );
  const ingestUrl = `http://127.0.0.1:${ingest.port}`;
  const baselineUrl = `http://127.0.0.1:${baseline.port}`;
  const results: Measured[] = [];
  const admin = new KafkajsStreamClient({
    brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    clientId: 'ingest-bench',
    logger: createLogger('bench', 'silent'),
  }).admin();
  await admin.connect();
  try {
    for (let attempt = 0; ; attempt++) {
      const probe = await fetch(`${ingestUrl}/v1/apps/${appId}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-sdk-key': sdkKey },
        body: '{"events":[]}',
      });
      if (probe.status === 400) break;
      if (attempt > 100) throw new Error(`ingest does not know the bench app (answers ${probe.status})`);
      await new Promise((done) => setTimeout(done, 100));
    }
    for (const scenario of SCENARIOS) {
      results.push(await measure('ingest', ingestUrl, appId, sdkKey, scenario, admin));
      results.push(await measure('baseline', baselineUrl, appId, sdkKey, scenario, admin));
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
    await stopChild(ingest.child);
    await stopChild(baseline.child);
    await fetch(`${CONSUL}/v1/kv/mmp/apps/${appId}`, { method: 'DELETE' });
  }

  const ratios = Object.fromEntries(
    SCENARIOS.map((scenario) => {
      const of = (target: Measured['target']) =>
        results.find((result) => result.target === target && result.scenario === scenario.name)!;
      return [scenario.name, Math.round((of('ingest').eventsPerSecond / of('baseline').eventsPerSecond) * 100) / 100];
    }),
  );
  const batch = results.find((result) => result.target === 'ingest' && result.eventsPerRequest === 100)!;
  const goal = { eventsPerSecond: 20_000, ratio: 0.8 };
  const report = {
    date: new Date().toISOString(),
    durationSeconds: DURATION_S,
    machine: { cpus: cpus().length, node: process.version },
    rounds: ROUNDS,
    results,
    ratios,
    goal: {
      ...goal,
      met: batch.eventsPerSecond >= goal.eventsPerSecond && ratios['100-event batches'] >= goal.ratio && batch.allInKafka,
    },
  };
  const outDir = resolve(ROOT, 'bench/results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(resolve(outDir, 'ingest.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(resolve(outDir, 'ingest.md'), markdown(report, results, ratios));
  process.stdout.write(
    `ingest/baseline ratio: ${Object.entries(ratios)
      .map(([name, ratio]) => `${name} ${ratio}`)
      .join(', ')}\n`,
  );
  process.stdout.write(
    `100-event batches: ${batch.eventsPerSecond} events/s (goal ${goal.eventsPerSecond}, ratio goal ${goal.ratio}): ${report.goal.met ? 'met' : 'NOT met'}\n`,
  );
}

function markdown(
  report: { date: string; durationSeconds: number; machine: { cpus: number; node: string } },
  results: Measured[],
  ratios: Record<string, number>,
): string {
  const rows = results.map(
    (result) =>
      `| ${result.target} | ${result.scenario} | ${result.connections} | ${result.eventsPerSecond} | ${result.spread.min}..${result.spread.max} | ${result.allInKafka ? 'yes' : '**no**'} | ${result.p50Ms} | ${result.p99Ms} | ${result.non2xx} | ${result.errors} |`,
  );
  return [
    '# Ingest benchmark',
    '',
    `${report.date}, median of ${ROUNDS} rounds of ${report.durationSeconds} s after a ${WARMUP_S} s warm-up, ${report.machine.cpus} CPUs, Node ${report.machine.node}, loopback, autocannon.`,
    'Events count once they are in Kafka: the growth of the end offsets of events.raw.v1 over a round (run the bench alone on the topic), never more than were answered 2xx.',
    'Ingest and the baseline (bare node:http + the same kafkajs producer settings, acks=all) each run as their own process against the same Kafka topic.',
    '',
    '| target | scenario | connections | events/s in Kafka (median) | spread | all 2xx in Kafka | p50 ms | p99 ms | non-2xx | errors |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    ...Object.entries(ratios).map(([name, ratio]) => `ingest/baseline (${name}): **${ratio}**`),
    '',
  ].join('\n');
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
