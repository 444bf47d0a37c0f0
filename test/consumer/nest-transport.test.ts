import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { Controller, Module } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { z } from 'zod';
import {
  bootstrapService,
  deadLetter,
  jsonDecoder,
  ok,
  StreamContext,
  StreamTransport,
  type Message,
  type Outcome,
  type RunningService,
} from '@mmp/common';
import { uniqueId, waitFor } from '../support/infra';
import { committedOffsets, createTopic, endOffsets, produce, readTopic } from '../support/kafka';

const itemSchema = z.strictObject({ id: z.string() });
type Item = z.infer<typeof itemSchema>;

const calls: { size: number; partition: number }[] = [];
const handled = new Set<string>();
let failedOnce = false;

@Controller()
class ProbeHandler {
  @EventPattern('probe')
  async handle(@Payload() messages: Message<Item>[], @Ctx() context: StreamContext): Promise<Outcome[]> {
    calls.push({ size: messages.length, partition: context.partition });
    if (!failedOnce && messages.some((message) => message.value.id === 'flaky')) {
      failedOnce = true;
      throw new Error('a dependency is down');
    }
    for (const message of messages) handled.add(message.value.id);
    return messages.map((message) => (message.value.id === 'refuse' ? deadLetter('refused') : ok));
  }
}

@Module({ controllers: [ProbeHandler] })
class ProbeModule {}

let service: RunningService | undefined;
after(() => service?.stop());

it('a Nest @EventPattern handler gets whole batches through StreamTransport; a throw is retried, a dlq outcome dead-lettered', async () => {
  const topic = await createTopic(2);
  const groupId = uniqueId('nest');
  const ids = Array.from({ length: 200 }, (_, index) => `n-${index}`);
  ids.splice(50, 0, 'flaky');
  ids.splice(120, 0, 'refuse');
  await produce(
    topic,
    ids.map((id, index) => ({ key: id, value: JSON.stringify({ id }), partition: index % 2 })),
  );

  service = await bootstrapService(
    {
      service: 'aggregates',
      module: () => ProbeModule,
      transports: (context) => [
        new StreamTransport(context, {
          groupId,
          topic,
          pattern: 'probe',
          decoder: jsonDecoder(itemSchema),
          backoff: { initialMs: 100, maxMs: 500 },
        }),
      ],
    },
    { ...process.env, PORT: '0', LOG_LEVEL: 'silent' },
  );

  await waitFor('every message handled', () => handled.size === ids.length, 30_000);
  const ends = await endOffsets(topic);
  await waitFor('committed to the end', async () => {
    const committed = await committedOffsets(groupId, topic);
    return [...ends].every(([partition, end]) => committed.get(partition) === end);
  });
  assert.ok(failedOnce, 'the handler threw once');
  assert.ok(
    calls.some((call) => call.size > 1),
    'messages arrive in batches, not one at a time',
  );
  const dlq = await readTopic(`${topic}.dlq`, 1);
  assert.equal(dlq[0].key?.toString(), 'refuse');
  assert.equal(dlq[0].headers.error, 'refused');

  const health = await fetch(`${service.url}/health`);
  const body = (await health.json()) as { status: string; checks: Record<string, { status: string }> };
  assert.equal(body.checks[`consumer:${groupId}`]?.status, 'passing');
});
