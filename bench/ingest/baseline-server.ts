import { createLogger, eventKey, KafkajsStreamClient, TOPICS, type RawEvent } from '@mmp/common';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The benchmark's yardstick: a bare node:http server that parses the JSON body and
 * produces every event to events.raw.v1 with the producer settings ingest uses
 * (acks=all, not idempotent, 2 retries), one send per request. No auth, validation,
 * dedupe or spool: what ingest costs beyond this is what the ratio shows.
 */
async function main(): Promise<void> {
  const logger = createLogger('bench-baseline', 'warn');
  const kafka = new KafkajsStreamClient({
    brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    clientId: 'bench-baseline',
    logger,
  });
  const producer = kafka.producer({ idempotent: false, retries: 2 });
  await producer.connect();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let events: RawEvent[];
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { events?: RawEvent[] } & RawEvent;
        events = Array.isArray(body.events) ? body.events : [body];
      } catch {
        response.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"malformed_json"}');
        return;
      }
      const appId = request.url!.split('/')[3];
      const records = events.map((event) => {
        const raw = { ...event, app_id: appId, ip: event.ip ?? '127.0.0.1' };
        return { key: eventKey(raw), value: JSON.stringify(raw) };
      });
      producer.send(TOPICS.raw, records).then(
        () =>
          response.writeHead(202, { 'content-type': 'application/json' }).end(`{"accepted":${records.length},"duplicates":0}`),
        () => response.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"unavailable"}'),
      );
    });
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`));
  const stop = () => server.close(() => producer.disconnect().finally(() => process.exit(0)));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

void main();
